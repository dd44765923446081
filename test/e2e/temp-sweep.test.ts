// A writer killed after the bytes arrived (between writing its temp file and linking it into place) leaves only a
// `.tmp-<pid>-…` file, never a half image under an image name: the next process that opens the workspace removes
// it, keeps a live writer's, and no listing or manifest ever shows it. Through the built CLI over stdio.

import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GenerationResult } from "../../src/contract/schemas.js";
import { png } from "../helpers/scripted-provider.js";
import { type SpawnedClient, spawnClient, tempWorkspace } from "../helpers/spawn.js";

const workspace = tempWorkspace();
/** The temp file names the workspace gives a writer with this pid (see tempName in workspace.ts). */
const tempOf = (pid: number, name: string) => `.tmp-${pid}-0123456789ab-${name}`;

/** The pid of a process that has run and exited: a writer that is gone. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid as number;
}

let dead: string;
let deadRecord: string;
let live: string;
let spawned: SpawnedClient;
let made: GenerationResult;

beforeAll(async () => {
  const halfImage = (await png()).subarray(0, 2048);
  const gone = await deadPid();
  dead = tempOf(gone, "20261205-070000-killed-mid-write-abc123.png");
  deadRecord = tempOf(gone, "record.json");
  // This test's own process is alive: a writer still writing.
  live = tempOf(process.pid, "20261205-070000-still-writing-def456.png");
  writeFileSync(join(workspace, dead), halfImage);
  writeFileSync(join(workspace, deadRecord), '{"record_vers');
  writeFileSync(join(workspace, live), halfImage);

  spawned = await spawnClient({ PIXELWRIGHT_WORKSPACE: workspace });
  // The first image call opens the workspace's job book, which sweeps leftovers first.
  const result = (await spawned.client.callTool({
    name: "generate_image",
    arguments: { prompt: "after the crash", size: "1024x1024", return_image: "none" },
  })) as CallToolResult;
  made = result.structuredContent as unknown as GenerationResult;
  expect(made.status).toBe("completed");
}, 60_000);

afterAll(async () => {
  await spawned?.close();
  rmSync(workspace, { recursive: true, force: true });
});

describe("temp files left by a writer killed after the bytes arrived", () => {
  it("are removed when the next process opens the workspace: the writer is gone", () => {
    expect(existsSync(join(workspace, dead))).toBe(false);
    expect(existsSync(join(workspace, deadRecord))).toBe(false);
  });

  it("are kept while their writer is alive", () => {
    expect(existsSync(join(workspace, live))).toBe(true);
  });

  it("are never an image: no listing, no manifest line, no image name holds the half file", async () => {
    const { resources } = await spawned.client.listResources();
    const listed = resources.map((r) => r.uri);
    expect(listed).toContain(made.images[0]?.uri);
    expect(listed.filter((uri) => uri.includes("tmp") || uri.includes("still-writing"))).toEqual([]);
    const manifest = readFileSync(join(workspace, "manifest.jsonl"), "utf8").trim().split("\n");
    expect(manifest).toHaveLength(1);
    expect(manifest[0]).not.toMatch(/killed-mid-write|still-writing/);
    const images = readdirSync(workspace).filter((f) => /\.png$/.test(f) && !f.startsWith("."));
    expect(images).toEqual([made.images[0]?.path.split("/").at(-1)]);
  });
});
