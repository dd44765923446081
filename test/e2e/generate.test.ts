import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GenerationResult } from "../../src/contract/results.js";
import { runCli, type SpawnedClient, spawnClient, tempWorkspace } from "../helpers/spawn.js";

const workspace = tempWorkspace();
let spawned: SpawnedClient;
beforeAll(async () => {
  spawned = await spawnClient({ PIXELWRIGHT_WORKSPACE: workspace });
});
afterAll(async () => spawned.close());

describe("the main job over stdio with no API key", () => {
  let result: CallToolResult;
  let out: GenerationResult;
  beforeAll(async () => {
    result = (await spawned.client.callTool({
      name: "generate_image",
      arguments: { prompt: "a lighthouse at dawn, native 4K", size: "3840x2160" },
    })) as CallToolResult;
    out = result.structuredContent as unknown as GenerationResult;
  });

  it("saves a 3840x2160 PNG, measured from disk, verified and experimental", async () => {
    expect(out).toMatchObject({ status: "completed", provider: "offline-simulator" });
    const image = out.images[0];
    expect(image).toMatchObject({ width: 3840, height: 2160, format: "png", verified: true, experimental: true });
    const meta = await sharp(image?.path as string).metadata();
    expect([meta.width, meta.height]).toEqual([3840, 2160]);
    expect(out.caveats.join(" ")).toMatch(/no model was called/);
  });

  it("says what happened in the first sentence", () => {
    const text = result.content[0]?.type === "text" ? result.content[0].text : "";
    expect(text.split("\n")[0]).toBe(`Saved 3840x2160 PNG (verified) to ${out.images[0]?.path}.`);
  });

  it("keeps the whole result under 1 MiB", () => {
    expect(JSON.stringify(result).length).toBeLessThan(1_048_576);
  });

  it("writes the sidecar and a manifest line", () => {
    const path = out.images[0]?.path as string;
    expect(existsSync(path.replace(/\.png$/, ".json"))).toBe(true);
    const lines = readFileSync(join(workspace, "manifest.jsonl"), "utf8").trim().split("\n");
    expect(JSON.parse(lines.at(-1) as string)).toMatchObject({ job_id: out.job_id, verified: true });
    expect(readdirSync(workspace).filter((f) => f.startsWith(".tmp-"))).toEqual([]);
  });

  it("serves the full file as the pixelwright://images resource", async () => {
    const uri = out.images[0]?.uri as string;
    const read = await spawned.client.readResource({ uri });
    const blob = read.contents[0] && "blob" in read.contents[0] ? read.contents[0].blob : "";
    const meta = await sharp(Buffer.from(blob, "base64")).metadata();
    expect([meta.width, meta.height]).toEqual([3840, 2160]);
    const { resources } = await spawned.client.listResources();
    expect(resources.map((r) => r.uri)).toContain(uri);
  });

  it("says once on stderr that it runs offline", () => {
    expect(spawned.stderr().match(/offline simulator/g)).toHaveLength(1);
  });
});

describe("the Responses route over stdio", () => {
  it("returns a verified image with revised_prompt and assistant_text, partial images as progress", async () => {
    const messages: string[] = [];
    const result = (await spawned.client.callTool(
      {
        name: "generate_image",
        arguments: {
          prompt: "a paper crane",
          size: "1024x1536",
          route: "responses",
          partial_images: 2,
          return_image: "none",
        },
      },
      undefined,
      { onprogress: (p) => messages.push(p.message ?? "") },
    )) as CallToolResult;
    const out = result.structuredContent as unknown as GenerationResult;
    expect(out).toMatchObject({ status: "completed", route: "responses", provider: "offline-simulator" });
    expect(out.images[0]).toMatchObject({ width: 1024, height: 1536, verified: true });
    expect(out.images[0]?.revised_prompt).toMatch(/paper crane/);
    expect(out.assistant_text).toBeTruthy();
    // Each partial image is told as it arrives. An SDK client drops a notification it reads in the same chunk as the
    // response (it handles notifications a tick later), which a busy machine can cause for the last one: at least the
    // first arrives, and none is told twice. (The in-memory test in integration/jobs.test.ts counts both.)
    const partials = messages.filter((m) => /partial image \d of 2/.test(m));
    expect(partials.length).toBeGreaterThanOrEqual(1);
    expect(new Set(partials).size).toBe(partials.length);
  });
});

describe("the CLI's main job", () => {
  it("prints a verified 3840x2160 result", async () => {
    const { code, stdout } = await runCli(
      ["call", "generate_image", '{"prompt":"cli lighthouse","size":"3840x2160","return_image":"none"}'],
      { PIXELWRIGHT_WORKSPACE: workspace },
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      status: "completed",
      images: [{ width: 3840, height: 2160, verified: true }],
    });
  });
});
