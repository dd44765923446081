// Estimates of what is billed, through the real MCP client against the simulator: partial images and input images
// (references, the mask) are in cost_estimate_usd, and the simulator's usage, billed at the same prices, agrees with
// the estimate token for token; dry runs show every strategy and no job_id; a resolution asked for in words gets a
// caveat naming the size that would make it; the production record's requested block is complete.
import { readFileSync, writeFileSync } from "node:fs";
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GenerationResult } from "../../src/contract/results.js";
import { connectWithSimulator, type SimHarness } from "../helpers/simulated.js";

const asResult = (r: unknown) => (r as { structuredContent: GenerationResult }).structuredContent;
const sidecarOf = (path: string) => JSON.parse(readFileSync(path.replace(/\.\w+$/, ".json"), "utf8"));

const png = (w: number, h: number, alpha = false) =>
  sharp({ create: { width: w, height: h, channels: alpha ? 4 : 3, background: { r: 40, g: 90, b: 160, alpha: 0 } } })
    .png()
    .toBuffer();

let h: SimHarness;
beforeAll(async () => {
  h = await connectWithSimulator();
  writeFileSync(`${h.workspace}/ref-square.png`, await png(1024, 1024));
  writeFileSync(`${h.workspace}/ref-wide.png`, await png(3000, 2000));
  writeFileSync(`${h.workspace}/mask.png`, await png(1024, 1024, true));
});
afterAll(async () => h.close());
beforeEach(() => h.sim.reset());

async function generate(args: Record<string, unknown>): Promise<GenerationResult> {
  return asResult(await h.call("generate_image", { return_image: "none", fresh: true, ...args }));
}

describe("the estimate counts every billed token, and the simulated bill agrees with it", () => {
  it("an edit with two reference images and a mask: estimate = billed, and above the plain generation", async () => {
    const edit = await generate({
      prompt: "put the two together",
      quality: "high",
      reference_images: ["ref-square.png", "ref-wide.png"],
      mask: "mask.png",
    });
    expect(edit.status).toBe("completed");
    expect(edit.usage?.input_tokens_details).toMatchObject({ image_tokens: expect.any(Number) });
    expect(edit.cost_usd).toBe(edit.cost_estimate_usd);
    const plain = await generate({ prompt: "put the two together", quality: "high" });
    expect(plain.cost_usd).toBe(plain.cost_estimate_usd);
    expect((edit.cost_estimate_usd as number) - (plain.cost_estimate_usd as number)).toBeGreaterThan(0.02);
    expect(edit.caveats.join(" ")).not.toMatch(/not included/);
  });

  it("partial images: each adds output tokens, in the estimate and in the bill alike", async () => {
    const plain = await generate({ prompt: "a lighthouse at dusk", quality: "medium" });
    const streamed = await generate({ prompt: "a lighthouse at dusk", quality: "medium", partial_images: 3 });
    expect(streamed.cost_usd).toBe(streamed.cost_estimate_usd);
    expect((streamed.cost_estimate_usd as number) - (plain.cost_estimate_usd as number)).toBeCloseTo(0.009, 4);
    expect((streamed.usage?.output_tokens as number) - (plain.usage?.output_tokens as number)).toBe(300);
  });

  it("the Responses route with a reference image, through the real openai SDK: estimate ~ billed", async () => {
    const out = await generate({
      prompt: "the same scene at night",
      route: "responses",
      quality: "low",
      reference_images: ["ref-wide.png"],
    });
    expect(out.status).toBe("completed");
    // Responses usage does not split text from image input tokens: all input is billed at the image rate.
    expect(out.cost_usd).toBeCloseTo(out.cost_estimate_usd as number, 3);
    expect(out.cost_usd).toBeGreaterThanOrEqual(out.cost_estimate_usd as number);
  });

  it("a dry run says how the estimate was made, input images included", async () => {
    const dry = await generate({
      prompt: "put the two together",
      reference_images: ["ref-square.png", "ref-wide.png"],
      partial_images: 2,
      dry_run: true,
    });
    const basis = dry.caveats.find((c) => c.startsWith("Cost basis:")) ?? "";
    expect(basis).toMatch(/2 partial image\(s\) add 100 output tokens/);
    expect(basis).toMatch(
      /2 input image\(s\) \(references, and a mask or markup\) estimated at \d+ image input tokens/,
    );
    expect(h.sim.stats.imageRequests).toBe(0);
  });
});

describe("dry runs show every strategy and carry no job_id", () => {
  it.each([
    ["3840x2160", "2560x1440"],
    ["1024x1024", "1024x1024"],
  ])("a native dry run of %s lists native, master and auto (master generates %s)", async (size, masterSize) => {
    const raw = await h.call("generate_image", { prompt: "a harbour", size, dry_run: true });
    const dry = asResult(raw);
    expect(dry.estimates?.map((e) => e.strategy)).toEqual(["native", "master", "auto"]);
    expect(dry.estimates?.find((e) => e.strategy === "master")?.generated_size).toBe(masterSize);
    for (const estimate of dry.estimates ?? []) expect(estimate.cost_estimate_usd).toBeGreaterThan(0);
    expect("job_id" in (raw.structuredContent as object)).toBe(false);
    expect(h.sim.stats.imageRequests).toBe(0);
  });
});

describe("a resolution asked for in words, with no size", () => {
  it.each([
    ["make it 4K: a lighthouse in 4K resolution", "3840x2160", "4k-landscape"],
    ["a phone wallpaper, portrait, ultra HD", "2160x3840", "4k-portrait"],
    ["a 1080p still of a train", "1920x1088", "hd-landscape"],
    ["a 2K square logo", "2048x2048", "square-master"],
    ["an 8K panorama", "3840x2160", "4k-landscape"],
  ])("%j gets a caveat naming size %s (preset %s)", async (prompt, size, preset) => {
    const out = await generate({ prompt, quality: "low" });
    expect(out.images[0]).toMatchObject({ width: 1024, height: 1024 });
    const caveat = out.caveats.find((c) => c.includes("the prompt never sets the resolution")) ?? "";
    expect(caveat).toContain(`size "${size}"`);
    expect(caveat).toContain(`preset "${preset}"`);
  });

  it("says nothing when a size is given", async () => {
    const out = await generate({ prompt: "a lighthouse in 4K", size: "3840x2160", quality: "low" });
    expect(out.caveats.join(" ")).not.toMatch(/never sets the resolution/);
  });
});

describe("the production record's requested block", () => {
  it("records output_compression and moderation beside size, quality, format and background", async () => {
    const out = await generate({
      prompt: "a compressed fox",
      output_format: "webp",
      output_compression: 40,
      moderation: "low",
      quality: "low",
    });
    const record = sidecarOf(out.images[0]?.path as string);
    expect(record.requested).toMatchObject({
      size: "1024x1024",
      quality: "low",
      output_format: "webp",
      output_compression: 40,
      moderation: "low",
      partial_images: 0,
    });
  });
});
