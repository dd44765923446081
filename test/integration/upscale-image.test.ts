// upscale_image: local and free; the happy path leaves a verified file with its own record, and every refusal is one
// sentence that says what to ask instead. And verify_image on a gateway-style "4K" made from 1920x1080.

import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { SidecarRecord, UpscaleResult, VerifyResult } from "../../src/contract/schemas.js";
import { enlargedFrom, noisePicture, photoLikePicture } from "../helpers/pictures.js";
import { connectWithSimulator, type SimHarness, textOf } from "../helpers/simulated.js";

let h: SimHarness;
let master: string;
beforeAll(async () => {
  h = await connectWithSimulator();
  master = join(h.workspace, "approved-master.png");
  writeFileSync(master, await noisePicture(2560, 1440, 21));
});
afterAll(async () => h.close());
beforeEach(() => h.sim.reset());

const upscale = (args: Record<string, unknown>) => h.call("upscale_image", { return_image: "none", ...args });
const asUpscale = (r: unknown) => (r as { structuredContent: UpscaleResult }).structuredContent;

describe("upscale_image", () => {
  it("enlarges an approved master to 3840x2160, verified, with its own record and manifest line, for no call", async () => {
    const result = await upscale({ path: master, size: "3840x2160" });
    const out = asUpscale(result);
    expect(h.sim.stats.imageRequests).toBe(0);
    expect(out).toMatchObject({ status: "verified", method: "lanczos3", interpolation: "bicubic", factor: 1.5 });
    expect(out.image).toMatchObject({ width: 3840, height: 2160, verified: true, upscaled: true });
    expect(out.image.decision).toBe("master+upscale");
    expect(out.image.path).toBe(join(h.workspace, "approved-master.upscaled-3840x2160.png"));
    const record = JSON.parse(
      readFileSync(join(h.workspace, "approved-master.upscaled-3840x2160.json"), "utf8"),
    ) as SidecarRecord;
    const sourceSha = createHash("sha256").update(readFileSync(master)).digest("hex");
    expect(record).toMatchObject({
      decision: "master+upscale",
      billing_route: "none (local upscale)",
      upscale: { source_path: master, source_sha256: sourceSha, method: "lanczos3", factor: 1.5 },
      saved: { width: 3840, height: 2160, sha256: out.image.sha256 },
    });
    expect(readFileSync(join(h.workspace, "manifest.jsonl"), "utf8")).toContain(
      "approved-master.upscaled-3840x2160.png",
    );
    expect(textOf(result)).toMatch(/^Upscaled 2560x1440 to 3840x2160 PNG \(1\.5x, bicubic\): /);
  });

  it("gives the same file for the same call (idempotent)", async () => {
    const first = asUpscale(await upscale({ path: master, size: "3840x2160" }));
    const again = asUpscale(await upscale({ path: master, size: "3840x2160" }));
    expect(again.image.path).toBe(first.image.path);
    expect(again.image.sha256).toBe(first.image.sha256);
    expect(again.reused).toBe(true);
  });

  it("keeps JPEG as JPEG and WebP alpha as alpha", async () => {
    const jpeg = join(h.workspace, "photo.jpg");
    writeFileSync(
      jpeg,
      await sharp(await noisePicture(1280, 720, 3))
        .jpeg()
        .toBuffer(),
    );
    expect(asUpscale(await upscale({ path: jpeg, size: "2048x1152" })).image).toMatchObject({ format: "jpeg" });
    const webp = join(h.workspace, "logo.webp");
    const transparent = { width: 640, height: 640, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } as const;
    writeFileSync(webp, await sharp({ create: transparent }).webp().toBuffer());
    const out = asUpscale(await upscale({ path: webp, size: "1024x1024", method: "nearest" }));
    expect(out.image).toMatchObject({ format: "webp", has_alpha: true, width: 1024 });
  });

  it.each([
    ["a downscale", { size: "1920x1080" }, /smaller than the source \(2560x1440\).*only enlarges/],
    ["the same size", { size: "2560x1440" }, /already 2560x1440: there is nothing to upscale/],
    ["a change of aspect ratio", { size: "3840x2560" }, /changes the aspect ratio .* by \d+\.\d% .* Use 3840x2160/],
    ["a size outside the model's contract", { size: "5120x2880" }, /5120x2880 is outside gpt-image-2's size contract/],
    [
      "a size off the model's grid",
      { size: "3848x2164" },
      /3848x2164 is outside .* nearest valid size of this image's shape is 3840x2160/,
    ],
    ["size auto", { size: "auto" }, /size auto cannot be upscaled to/],
  ])("refuses %s with a sentence that says what to ask", async (_name, args, pattern) => {
    const result = await upscale({ path: master, ...args });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(pattern);
  });

  it("refuses a file that is not an image", async () => {
    const fake = join(h.workspace, "fake.png");
    writeFileSync(fake, "this is text, not a picture");
    const result = await upscale({ path: fake, size: "3840x2160" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/fake\.png is not an image upscale_image can read .*give a PNG, JPEG or WebP file/);
  });

  it("is announced as local, free work: writes, never destroys, same call same file, closed world", async () => {
    const { tools } = await h.client.listTools();
    expect(tools.find((t) => t.name === "upscale_image")?.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: false,
    });
  });
});

describe("verify_image on a gateway's 4K", () => {
  it("says a 3840x2160 file made from 1920x1080 is likely upscaled (heuristic), with the source size", async () => {
    const path = join(h.workspace, "gateway-4k.png");
    const photo = await photoLikePicture(1920, 1080, 8);
    writeFileSync(path, await enlargedFrom(photo, { width: 1920, height: 1080 }, { width: 3840, height: 2160 }));
    const result = await h.call("verify_image", { path, expected_size: "3840x2160", return_image: "none" });
    const out = result.structuredContent as unknown as VerifyResult;
    expect(out.status).toBe("verified");
    const estimate = out.images[0]?.effective_resolution;
    expect(estimate).toMatchObject({ heuristic: true, source: "pixels", likely_upscaled: true });
    expect(Math.abs((estimate?.effective_width ?? 0) / 1920 - 1)).toBeLessThanOrEqual(0.15);
    expect(out.images[0]?.upscaled).toBe(false);
    expect(textOf(result)).toMatch(
      /Likely upscaled \(heuristic\): 3840x2160 carries no more detail than about 19\d\dx10\d\d/,
    );
  });

  it("does not flag a native 3840x2160 file", async () => {
    const path = join(h.workspace, "native-4k.png");
    writeFileSync(path, await noisePicture(3840, 2160, 30));
    const result = await h.call("verify_image", { path, return_image: "none" });
    const out = result.structuredContent as unknown as VerifyResult;
    expect(out.images[0]?.effective_resolution).toMatchObject({ heuristic: true, likely_upscaled: false });
    expect(textOf(result)).not.toMatch(/Likely upscaled/);
  });
});
