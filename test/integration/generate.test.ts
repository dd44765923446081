import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GenerationResult } from "../../src/contract/results.js";
import { GenerationResultSchema, VerifyResultSchema } from "../../src/contract/schemas.js";
import { fromWire } from "../../src/contract/wire.js";
import { connectWithSimulator, type SimHarness, textOf } from "../helpers/simulated.js";

let h: SimHarness;
let outside: string;
beforeAll(async () => {
  h = await connectWithSimulator();
  // Beside the workspace, so `../outside/secret.png` from the workspace reaches it.
  outside = join(dirname(h.workspace), "outside");
  mkdirSync(outside);
  const png = (w: number, h2: number, alpha: boolean) =>
    sharp({ create: { width: w, height: h2, channels: alpha ? 4 : 3, background: { r: 9, g: 9, b: 9, alpha: 0 } } })
      .png()
      .toBuffer();
  writeFileSync(join(h.workspace, "ref.png"), await png(1024, 1024, false));
  writeFileSync(join(h.workspace, "mask.png"), await png(1024, 1024, true));
  writeFileSync(join(h.workspace, "mask-opaque.png"), await png(1024, 1024, false));
  writeFileSync(join(h.workspace, "mask-small.png"), await png(512, 512, true));
  writeFileSync(join(h.workspace, "notes.txt"), "not an image");
  writeFileSync(join(outside, "secret.png"), await png(1024, 1024, false));
  symlinkSync(join(outside, "secret.png"), join(h.workspace, "link-out.png"));
});
afterAll(async () => h.close());
beforeEach(() => h.sim.reset());

describe("local refusal: invalid requests never reach the upstream", () => {
  it.each([
    ["a size off the 16 grid", { size: "1920x1080" }, /1920x1088/],
    ["a size over the edge limit", { size: "4096x2160" }, /3840x2160/],
    ["an unreadable size", { size: "big" }, /Cannot read 'big'/],
    ["a retired model", { model: "dall-e-3" }, /gpt-image-2/],
    ["a quality the model lacks", { quality: "xhigh" }, /quality "xhigh"/],
    [
      "transparent JPEG",
      { model: "gpt-image-2.5-flare", background: "transparent", output_format: "jpeg" },
      /png" or "webp/,
    ],
    ["compression on PNG", { output_compression: 50 }, /only to jpeg and webp/],
    [
      "input_fidelity on gpt-image-2",
      { input_fidelity: "high", reference_images: ["ref.png"] },
      /does not accept input_fidelity/,
    ],
    ["a size gpt-image-1.5 does not offer", { model: "gpt-image-1.5", size: "2048x2048" }, /accepts only/],
    ["a mask without reference images", { mask: "mask.png" }, /give reference_images/],
    ["a mask without alpha", { reference_images: ["ref.png"], mask: "mask-opaque.png" }, /no alpha channel/],
    [
      "a mask of the wrong size",
      { reference_images: ["ref.png"], mask: "mask-small.png" },
      /512x512 but the first reference image is 1024x1024/,
    ],
    ["a reference that is not an image", { reference_images: ["notes.txt"] }, /not a PNG, JPEG or WebP/],
    ["a reference that does not exist", { reference_images: ["nope.png"] }, /does not exist/],
    ["17 reference images", { reference_images: Array(17).fill("ref.png") }, /<=16 items at reference_images/],
    ["n above 10", { n: 11 }, /<=10 at n/],
    ["an empty prompt", { prompt: "   " }, /prompt is empty/],
  ])("refuses %s with a sentence saying what to change", async (_name, args, pattern) => {
    const result = await h.call("generate_image", { prompt: "a cat", ...args });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(pattern);
    expect(h.sim.stats.imageRequests).toBe(0);
  });

  // Each names a real 1024x1024 PNG outside the workspace (or nothing at all): without the jail, these would be read.
  it.each([
    ["../ escape", () => "../outside/secret.png"],
    ["an absolute path elsewhere", () => join(outside, "secret.png")],
    ["a symlink out of the workspace", () => "link-out.png"],
    // Refused as outside before the disk is touched: whether a file exists out there is not revealed.
    ["a missing file outside", () => "../../no/such/file.png"],
  ])("refuses %s for reference images and verify_image, as outside the jail", async (_name, pathOf) => {
    const path = pathOf();
    const generate = await h.call("generate_image", { prompt: "a cat", reference_images: [path] });
    expect(generate.isError).toBe(true);
    expect(textOf(generate)).toMatch(/outside the folders this server may read/);
    const verify = await h.call("verify_image", { path });
    expect(verify.isError).toBe(true);
    expect(textOf(verify)).toMatch(/outside the folders this server may read/);
    expect(h.sim.stats.imageRequests).toBe(0);
  });

  it("reads references from an allowed read root", async () => {
    const h2 = await connectWithSimulator({ readRoots: [outside] });
    try {
      const result = await h2.call("generate_image", {
        prompt: "edit it",
        reference_images: [join(outside, "secret.png")],
        return_image: "none",
      });
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(h2.sim.stats.requests[0]?.path).toBe("/v1/images/edits");
    } finally {
      await h2.close();
    }
  });

  it("dry_run validates and estimates without calling anything", async () => {
    const result = await h.call("generate_image", {
      prompt: "a cat",
      size: "3840x2160",
      quality: "high",
      dry_run: true,
    });
    const out = fromWire(GenerationResultSchema, result.structuredContent);
    expect(out).toMatchObject({ dry_run: true, cost_estimate_usd: 0.4003, images: [] });
    expect(textOf(result)).toMatch(
      /^Dry run: 1 x 3840x2160 high on gpt-image-2 is valid \(about \$0\.4003\); nothing was sent\./,
    );
    expect(h.sim.stats.imageRequests).toBe(0);
  });
});

describe("generation results", () => {
  it("follow the output schema and carry a bounded preview and a resource link", async () => {
    const result = await h.call("generate_image", { prompt: "preview check", size: "2048x1152" });
    const out = fromWire(GenerationResultSchema, result.structuredContent);
    expect(out.images[0]).toMatchObject({ width: 2048, height: 1152, verified: true, experimental: false });
    const image = result.content.find((c) => c.type === "image");
    expect(image?.type === "image" && image.mimeType).toBe("image/jpeg");
    const data = image?.type === "image" ? image.data : "";
    expect(data.length).toBeLessThan(300_000);
    const meta = await sharp(Buffer.from(data, "base64")).metadata();
    expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBeLessThanOrEqual(1024);
    expect(result.content.find((c) => c.type === "resource_link")).toMatchObject({ uri: out.images[0]?.uri });
    expect(JSON.stringify(result.structuredContent)).not.toMatch(/base64|iVBOR/);
  });

  it("returns no image block with return_image none, and the file itself with full when small", async () => {
    const none = await h.call("generate_image", { prompt: "none", return_image: "none" });
    expect(none.content.some((c) => c.type === "image")).toBe(false);
    const full = await h.call("generate_image", { prompt: "full", return_image: "full" });
    const image = full.content.find((c) => c.type === "image");
    const out = full.structuredContent as unknown as GenerationResult;
    expect(image?.type === "image" && image.mimeType).toBe("image/png");
    expect(
      image?.type === "image" && Buffer.from(image.data, "base64").equals(readFileSync(out.images[0]?.path as string)),
    ).toBe(true);
  });

  it("falls back to the preview plus a note when full would exceed 1 MiB", async () => {
    const h2 = await connectWithSimulator({}, { realistic: true });
    try {
      const result = await h2.call("generate_image", { prompt: "noisy", size: "2048x2048", return_image: "full" });
      const out = result.structuredContent as unknown as GenerationResult;
      expect(out.images[0]?.bytes).toBeGreaterThan(1_000_000);
      expect(result.content.find((c) => c.type === "image")).toMatchObject({ mimeType: "image/jpeg" });
      expect(out.caveats.join(" ")).toMatch(/too large to inline/);
    } finally {
      await h2.close();
    }
  });

  it("edits through /v1/images/edits with a mask", async () => {
    const result = await h.call("generate_image", {
      prompt: "add a hat",
      reference_images: ["ref.png"],
      mask: "mask.png",
      return_image: "none",
    });
    const out = result.structuredContent as unknown as GenerationResult;
    expect(out).toMatchObject({ status: "completed", endpoint: "/v1/images/edits" });
    expect(h.sim.stats.requests[0]?.path).toBe("/v1/images/edits");
  });

  it("saves n images and streams partial images, removing the partial previews afterwards", async () => {
    const result = await h.call("generate_image", { prompt: "two", n: 2, return_image: "none" });
    const out = result.structuredContent as unknown as GenerationResult;
    expect(out.images).toHaveLength(2);
    expect(new Set(out.images.map((i) => i.path)).size).toBe(2);
    const streamed = await h.call("generate_image", { prompt: "partials", partial_images: 2, return_image: "none" });
    expect((streamed.structuredContent as unknown as GenerationResult).status).toBe("completed");
    expect(h.files().filter((f) => f.includes(".partial-"))).toEqual([]);
  });

  it("writes the production record: sidecar and one manifest line per image", async () => {
    const result = await h.call("generate_image", {
      prompt: "record me",
      filename: "../../Hero Shot!",
      return_image: "none",
    });
    const out = result.structuredContent as unknown as GenerationResult;
    const image = out.images[0] as GenerationResult["images"][number];
    expect(image.path).toMatch(/\/\d{8}-\d{6}-hero-shot-[0-9a-f]{6}\.png$/);
    const sidecar = JSON.parse(readFileSync(image.path.replace(/\.png$/, ".json"), "utf8"));
    expect(sidecar).toMatchObject({
      provider: "openai-compatible",
      endpoint: "/v1/images/generations",
      model: "gpt-image-2",
      requested: { size: "1024x1024", quality: "auto", output_format: "png" },
      saved: { width: 1024, height: 1024, sha256: image.sha256 },
      request_ids: out.request_ids,
      retries: [],
    });
    expect(sidecar.prompt_sha256).toMatch(/^[0-9a-f]{64}$/);
    const manifest = readFileSync(join(h.workspace, "manifest.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(manifest.filter((line) => line.file === sidecar.file)).toHaveLength(1);
  });
});

describe("verify_image by path", () => {
  it("verifies against the sidecar, an explicit expectation, and notices a changed file", async () => {
    const made = await h.call("generate_image", { prompt: "to verify", size: "1536x1024", return_image: "none" });
    const path = (made.structuredContent as unknown as GenerationResult).images[0]?.path as string;
    const fromRecord = fromWire(VerifyResultSchema, (await h.call("verify_image", { path })).structuredContent);
    expect(fromRecord).toMatchObject({ status: "verified", images: [{ width: 1536, height: 1024, verified: true }] });

    const wrong = await h.call("verify_image", { path, expected_size: "3840x2160" });
    expect(wrong.structuredContent).toMatchObject({ status: "mismatch" });
    expect(textOf(wrong)).toMatch(/^Requested 3840x2160 but the saved file is 1536x1024/);

    writeFileSync(path, await sharp(path).png({ compressionLevel: 1 }).toBuffer());
    const changed = await h.call("verify_image", { path });
    expect(changed.structuredContent).toMatchObject({ status: "mismatch" });
    expect(textOf(changed)).toMatch(/sha256 differs/);
  });

  it("reports a file with no expectation as unverifiable, with its measurement", async () => {
    const result = await h.call("verify_image", { path: "ref.png" });
    expect(result.structuredContent).toMatchObject({ status: "unverifiable", images: [{ width: 1024, height: 1024 }] });
  });

  it("needs exactly one of path and job_id", async () => {
    expect((await h.call("verify_image", {})).isError).toBe(true);
    expect((await h.call("verify_image", { path: "ref.png", job_id: "job_0" })).isError).toBe(true);
  });
});
