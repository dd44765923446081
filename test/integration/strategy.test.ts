// Native 4K or a stable master plus a local upscale, and auto, through the real MCP client and the real openai SDK
// against the simulator — with the upstream calls counted, because a master must cost one call and a short delivery
// must cost no extra call.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type GenerationResult,
  GenerationResultSchema,
  type SidecarRecord,
  type VerifyResult,
} from "../../src/contract/schemas.js";
import { fromWire } from "../../src/contract/wire.js";
import { connectWithSimulator, type SimHarness, textOf } from "../helpers/simulated.js";

// What arrives leaves null fields out; fromWire restores them, so `master: null` reads as sent.
const asResult = (r: unknown) =>
  fromWire(GenerationResultSchema, (r as { structuredContent: unknown }).structuredContent) as GenerationResult;
const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const recordOf = (path: string) =>
  JSON.parse(readFileSync(path.replace(/\.(png|jpg|webp)$/, ".json"), "utf8")) as SidecarRecord;

let h: SimHarness;
beforeAll(async () => {
  h = await connectWithSimulator({ allowPrivateUrls: true });
});
afterAll(async () => h.close());
beforeEach(() => h.sim.reset());

const FOUR_K = { size: "3840x2160", return_image: "none" } as const;

describe("strategy master", () => {
  it("makes a verified 3840x2160 from one paid call at the stable 2560x1440 master, both files kept", async () => {
    const result = await h.call("generate_image", { prompt: "a master", strategy: "master", ...FOUR_K });
    const out = asResult(result);
    expect(h.sim.stats.imageRequests).toBe(1);
    expect(h.sim.stats.requests[0]?.size).toBe("2560x1440");
    expect(out).toMatchObject({ status: "completed", strategy: "master", decision: "master+upscale" });
    expect(out.requested.size).toBe("3840x2160");
    const [image] = out.images;
    expect(image).toMatchObject({ width: 3840, height: 2160, verified: true, upscaled: true });
    expect(image?.decision).toBe("master+upscale");
    expect(image?.master).toMatchObject({ width: 2560, height: 1440 });
    const master = image?.master?.path as string;
    expect((await sharp(master).metadata()).width).toBe(2560);
    expect(image?.path).toMatch(/\.upscaled-3840x2160\.png$/);
    expect(textOf(result)).toMatch(/^Saved 3840x2160 PNG \(verified, upscaled locally from 2560x1440 kept at /);
  });

  it("records both files: the master as master+upscale, the final with its source's path, sha256, method and factor", async () => {
    const out = asResult(await h.call("generate_image", { prompt: "recorded master", strategy: "master", ...FOUR_K }));
    const image = out.images[0];
    const master = image?.master?.path as string;
    expect(recordOf(master)).toMatchObject({ decision: "master+upscale", saved: { width: 2560, height: 1440 } });
    const record = recordOf(image?.path as string);
    expect(record).toMatchObject({
      decision: "master+upscale",
      expected_size: "3840x2160",
      verified: true,
      upscale: { source_path: master, source_sha256: sha256(master), method: "lanczos3", factor: 1.5 },
    });
    const manifest = readFileSync(join(h.workspace, "manifest.jsonl"), "utf8").trim().split("\n");
    expect(manifest.some((line) => line.includes(".upscaled-3840x2160.png"))).toBe(true);
  });

  it("keeps the paid master when the local upscale cannot be made from it: completed, one call, says what to do", async () => {
    // A gateway that answers every size with a square: the delivered master cannot become 16:9 by an upscale.
    h.sim.setGateway({ ignoreSizeWith: "1024x1024" });
    try {
      const out = asResult(
        await h.call("generate_image", { prompt: "a square master", strategy: "master", ...FOUR_K }),
      );
      expect(out.status).toBe("completed");
      expect(out.images).toHaveLength(1);
      expect(out.images[0]).toMatchObject({ width: 1024, height: 1024, upscaled: false });
      expect(readFileSync(out.images[0]?.path as string).length).toBeGreaterThan(0);
      expect(out.decision).toMatch(/the local upscale failed, so the paid image is returned as it was made/);
      expect(out.caveats.join(" ")).toMatch(/The local upscale to 3840x2160 failed .*upscale_image/);
      expect(h.sim.stats.imageRequests).toBe(1);
    } finally {
      h.sim.setGateway({ ignoreSizeWith: null });
    }
  });

  it("costs the master's price, which a dry run shows beside the native one without sending anything", async () => {
    const dry = asResult(
      await h.call("generate_image", {
        prompt: "priced",
        strategy: "master",
        quality: "high",
        dry_run: true,
        ...FOUR_K,
      }),
    );
    expect(h.sim.stats.imageRequests).toBe(0);
    const [native, master] = dry.estimates ?? [];
    expect(native).toMatchObject({ strategy: "native", generated_size: "3840x2160", final_size: "3840x2160" });
    expect(master).toMatchObject({ strategy: "master", generated_size: "2560x1440", final_size: "3840x2160" });
    expect(master?.cost_estimate_usd).toBeLessThan(native?.cost_estimate_usd as number);
    expect(dry.cost_estimate_usd).toBe(master?.cost_estimate_usd);
    const real = asResult(
      await h.call("generate_image", { prompt: "priced", strategy: "master", quality: "high", ...FOUR_K }),
    );
    expect(real.cost_estimate_usd).toBe(master?.cost_estimate_usd);
  });

  it("generates a size that is already stable natively, saying there is nothing to upscale", async () => {
    const out = asResult(await h.call("generate_image", { prompt: "small", strategy: "master", size: "1536x1024" }));
    expect(out).toMatchObject({ decision: "native", strategy: "master" });
    expect(out.images[0]).toMatchObject({ width: 1536, upscaled: false, master: null });
    expect(out.caveats.join(" ")).toMatch(/already a stable size/);
  });

  it("refuses size auto, since there is no size to upscale to", async () => {
    const result = await h.call("generate_image", { prompt: "auto", strategy: "master", size: "auto" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/strategy master needs a WIDTHxHEIGHT size/);
    expect(h.sim.stats.imageRequests).toBe(0);
  });
});

describe("strategy auto", () => {
  it("is native when native works: one call, decision native, nothing upscaled", async () => {
    const out = asResult(await h.call("generate_image", { prompt: "auto ok", strategy: "auto", ...FOUR_K }));
    expect(h.sim.stats.imageRequests).toBe(1);
    expect(out).toMatchObject({ decision: "native", strategy: "auto" });
    expect(out.images[0]).toMatchObject({ width: 3840, verified: true, upscaled: false, decision: "native" });
  });

  it("answers a native failure after its retries with a master, and says so first", async () => {
    h.sim.enqueueFaults("500", "500", "500");
    const result = await h.call("generate_image", { prompt: "auto fails", strategy: "auto", ...FOUR_K });
    const out = asResult(result);
    expect(h.sim.stats.imageRequests).toBe(4);
    expect(h.sim.stats.requests.at(-1)?.size).toBe("2560x1440");
    expect(out.status).toBe("completed");
    expect(out.decision).toMatch(/^fallback: native 3840x2160 failed \(.*500.*\), so the stable 2560x1440 master/);
    expect(out.images[0]).toMatchObject({ width: 3840, height: 2160, verified: true, upscaled: true });
    expect(out.images[0]?.master).toMatchObject({ width: 2560, height: 1440 });
    expect(textOf(result)).toMatch(/^Fallback: native 3840x2160 failed/);
  });

  it("answers an answer without a usable image with a master", async () => {
    h.sim.enqueueFaults("no_image");
    const out = asResult(await h.call("generate_image", { prompt: "auto empty", strategy: "auto", ...FOUR_K }));
    expect(out.status).toBe("completed");
    expect(out.images[0]).toMatchObject({ width: 3840, upscaled: true });
    expect(out.decision).toMatch(/^fallback: native 3840x2160 failed/);
  });

  it("does not answer a moderation refusal with a second paid call", async () => {
    h.sim.enqueueFaults("moderation");
    const out = asResult(await h.call("generate_image", { prompt: "auto refused", strategy: "auto", ...FOUR_K }));
    expect(out.status).toBe("failed");
    expect(h.sim.stats.imageRequests).toBe(1);
  });

  it("upscales a gateway's silent downscale for no extra call, keeping the delivered file", async () => {
    h.sim.setGateway({ downscaleAbove: 1672 });
    const result = await h.call("generate_image", { prompt: "auto short", strategy: "auto", ...FOUR_K });
    const out = asResult(result);
    expect(h.sim.stats.imageRequests).toBe(1);
    expect(out.decision).toBe(
      "fallback: openai-compatible delivered 1672x941 instead of 3840x2160, so the delivered file was upscaled locally (no extra call)",
    );
    const [image] = out.images;
    expect(image).toMatchObject({ width: 3840, height: 2160, verified: true, upscaled: true });
    expect(image?.master).toMatchObject({ width: 1672, height: 941 });
    expect((await sharp(image?.master?.path as string).metadata()).width).toBe(1672);
    expect(textOf(result)).toMatch(/^Fallback: openai-compatible delivered 1672x941 instead of 3840x2160/);
  });

  it("upscales a wrong-size answer for no extra call", async () => {
    h.sim.enqueueFaults("wrong_size");
    const out = asResult(await h.call("generate_image", { prompt: "auto wrong", strategy: "auto", ...FOUR_K }));
    expect(h.sim.stats.imageRequests).toBe(1);
    expect(out.images[0]).toMatchObject({ width: 3840, height: 2160, verified: true, upscaled: true });
    expect(out.decision).toMatch(/^fallback: .* delivered 1672x941 instead of 3840x2160/);
  });
});

describe("strategy native (the default)", () => {
  it("keeps today's behaviour and says so: decision native, upscaled false, in the result and the record", async () => {
    const out = asResult(await h.call("generate_image", { prompt: "plain", ...FOUR_K }));
    expect(out).toMatchObject({ strategy: "native", decision: "native" });
    expect(out.images[0]).toMatchObject({ upscaled: false, decision: "native", master: null });
    expect(recordOf(out.images[0]?.path as string).decision).toBe("native");
  });

  it("reports a gateway's downscale without upscaling it", async () => {
    h.sim.setGateway({ downscaleAbove: 1672 });
    const out = asResult(await h.call("generate_image", { prompt: "plain short", ...FOUR_K }));
    expect(out.images[0]).toMatchObject({ width: 1672, verified: false, upscaled: false });
  });
});

describe("verify_image: native or upscaled", () => {
  it("takes an upscale stated by the production record over the heuristic", async () => {
    const out = asResult(await h.call("generate_image", { prompt: "verify master", strategy: "master", ...FOUR_K }));
    const result = await h.call("verify_image", { path: out.images[0]?.path, return_image: "none" });
    const verified = result.structuredContent as unknown as VerifyResult;
    expect(verified.status).toBe("verified");
    expect(verified.images[0]).toMatchObject({ upscaled: true, decision: "master+upscale" });
    expect(verified.images[0]?.effective_resolution).toMatchObject({
      heuristic: false,
      source: "record",
      likely_upscaled: true,
      effective_width: 2560,
      effective_height: 1440,
    });
    expect(textOf(result)).toMatch(/Upscaled locally from 2560x1440 \(stated by its record\)/);
  });

  it("reports the effective resolution of a job's images", async () => {
    const started = asResult(await h.call("generate_image", { prompt: "job detail", ...FOUR_K, wait_seconds: 0 }));
    const result = await h.call("verify_image", { job_id: started.job_id, wait_seconds: 60, return_image: "none" });
    const verified = result.structuredContent as unknown as VerifyResult;
    expect(verified.images[0]?.effective_resolution).toMatchObject({ heuristic: true, source: "pixels" });
  });
});
