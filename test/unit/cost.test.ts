import { describe, expect, it } from "vitest";
import {
  costFromUsage,
  estimateCost,
  inputImageTokens,
  outputTokens,
  PARTIAL_IMAGE_TOKENS,
} from "../../src/contract/cost.js";
import { type ActiveModel, activeModels, lookupModel, MODELS } from "../../src/contract/models.js";

const model = (id: string) => MODELS.get(id) as ActiveModel;
const gptImage2 = model("gpt-image-2");
const base = {
  model: gptImage2,
  quality: "high" as const,
  n: 1,
  promptChars: 0,
  inputImages: [],
  partialImages: 0,
  width: 1024,
  height: 1024,
};

describe("output tokens (SPEC section 5 check values)", () => {
  it.each([
    [1024, 1024, "high", 7024],
    [1536, 1024, "high", 5488],
    [3840, 2160, "high", 13342],
    [3840, 2160, "low", 371],
    [2048, 2048, "high", 14272],
  ] as const)("%ix%i %s = %i tokens", (w, h, q, tokens) => {
    expect(outputTokens(w, h, q)).toBe(tokens);
  });
});

describe("list prices per model row (each row names its source)", () => {
  it.each([
    // gpt-image-2 and the 2.5/2.6 families: $30/1M image output on the same formula.
    ["gpt-image-2", "high", 0.2107],
    ["gpt-image-2-2026-04-21", "high", 0.2107],
    ["gpt-image-2.5-flare", "high", 0.2107],
    ["gpt-image-2.5-sunburst-2026-09-08", "high", 0.2107],
    ["gpt-image-2.6-sunburst", "high", 0.2107],
    ["gpt-image-2.6-flare", "high", 0.2107],
    // gpt-image-1.5 and gpt-image-1-mini: their published per-image prices at 1024x1024.
    ["gpt-image-1.5", "high", 0.133],
    ["gpt-image-1.5", "low", 0.009],
    ["gpt-image-1-mini", "high", 0.036],
    ["gpt-image-1-mini", "medium", 0.011],
  ] as const)("%s at 1024x1024 %s is about $%d", (id, quality, usd) => {
    const estimate = estimateCost({ ...base, model: model(id), quality });
    expect(estimate.usd).toBeCloseTo(usd, 3);
    expect(estimate.basis).toMatch(/source: /);
  });

  it("prices 3840x2160 high at $0.4003 on gpt-image-2", () => {
    expect(estimateCost({ ...base, width: 3840, height: 2160 }).usd).toBe(0.4003);
  });

  it("gives every model that is not retired a numeric estimate with its default arguments", () => {
    for (const m of activeModels()) {
      const estimate = estimateCost({ ...base, model: m, quality: "auto" });
      expect(estimate.usd, m.id).toBeGreaterThan(0);
    }
  });

  it("estimates gpt-image-2.6 low and medium at 4x gpt-image-2.5's tokens (laozhang: 3-4x), high the same", () => {
    const of = (id: string, quality: "low" | "medium" | "high") =>
      estimateCost({ ...base, model: model(id), quality }).output_tokens_per_image;
    expect(of("gpt-image-2.6-flare", "low")).toBe(4 * of("gpt-image-2.5-flare", "low"));
    expect(of("gpt-image-2.6-flare", "medium")).toBe(4 * of("gpt-image-2.5-flare", "medium"));
    expect(of("gpt-image-2.6-flare", "high")).toBe(of("gpt-image-2.5-flare", "high"));
  });
});

describe("what has no published figure is estimated high, never free, and the basis says so", () => {
  it("estimates a gateway's invented model at the highest price of any row", () => {
    const lookup = lookupModel("acme-image-9");
    if (lookup.kind !== "unknown") throw new Error("expected an unknown model");
    const invented = estimateCost({ ...base, model: lookup.assumed });
    const highest = 7024 * (32 / 1_000_000);
    expect(invented.usd).toBeCloseTo(highest, 4);
    expect(invented.basis).toMatch(/no published price for acme-image-9.*highest price/);
  });

  it("estimates xhigh and max as multiples of high (an upper estimate from a gateway's price ratios)", () => {
    const flare = model("gpt-image-2.5-flare");
    const high = estimateCost({ ...base, model: flare, quality: "high" });
    const xhigh = estimateCost({ ...base, model: flare, quality: "xhigh" });
    const max = estimateCost({ ...base, model: flare, quality: "max" });
    expect(xhigh.output_tokens_per_image).toBe(Math.ceil(7024 * 1.6));
    expect(max.output_tokens_per_image).toBe(Math.ceil(7024 * 3.4));
    expect(max.usd).toBeGreaterThan(xhigh.usd);
    expect(xhigh.usd).toBeGreaterThan(high.usd);
    expect(max.basis).toMatch(/3\.4x high/);
  });

  it("estimates size auto at the costliest size the model can pick, and says it is an upper bound", () => {
    const auto = estimateCost({ ...base, width: null, height: null });
    expect(auto.usd).toBeGreaterThan(estimateCost({ ...base, width: 3840, height: 2160 }).usd);
    expect(auto.basis).toMatch(/size auto estimated at the costliest size .*upper bound/);
    const classic = estimateCost({ ...base, model: model("gpt-image-1.5"), width: null, height: null });
    expect(classic.usd).toBeCloseTo(0.2, 3);
  });
});

describe("estimates include every billed token", () => {
  it("adds 100 output tokens per partial image, per image", () => {
    const plain = estimateCost({ ...base, n: 2 });
    const streamed = estimateCost({ ...base, n: 2, partialImages: 3 });
    const extra = 2 * 3 * PARTIAL_IMAGE_TOKENS * (30 / 1_000_000);
    expect(streamed.usd - plain.usd).toBeCloseTo(extra, 4);
    expect(streamed.basis).toMatch(/3 partial image\(s\) add 100 output tokens/);
  });

  it("adds image input tokens for each reference image and the mask, from their dimensions", () => {
    const plain = estimateCost(base);
    const inputs = [
      { width: 1024, height: 1024 },
      { width: 2000, height: 1500 },
      { width: 1024, height: 1024 },
    ];
    const edit = estimateCost({ ...base, inputImages: inputs });
    const tokens = inputs.reduce((sum, d) => sum + inputImageTokens(d.width, d.height), 0);
    expect(edit.usd - plain.usd).toBeCloseTo(tokens * (8 / 1_000_000), 4);
    expect(edit.basis).toMatch(/3 input image\(s\).*image input tokens/);
  });

  it("counts input images in 32 px patches: small ones magnified towards 1024 px, large ones within 1,536 patches", () => {
    expect(inputImageTokens(1024, 1024)).toBe(1024);
    expect(inputImageTokens(512, 512)).toBe(1024);
    expect(inputImageTokens(256, 256)).toBe(256);
    expect(inputImageTokens(4000, 3000)).toBeLessThanOrEqual(1536);
    expect(inputImageTokens(4000, 3000)).toBeGreaterThan(1400);
  });

  it("counts the prompt and the inputs once per call on the Responses route (one call per image)", () => {
    const one = estimateCost({ ...base, promptChars: 400, inputImages: [{ width: 1024, height: 1024 }] });
    const two = estimateCost({
      ...base,
      n: 2,
      calls: 2,
      promptChars: 400,
      inputImages: [{ width: 1024, height: 1024 }],
    });
    expect(two.usd).toBeCloseTo(2 * one.usd, 4);
  });
});

describe("billed cost from usage", () => {
  it("bills returned usage at list prices", () => {
    const usage = { input_tokens_details: { text_tokens: 1000, image_tokens: 0 }, output_tokens: 7024 };
    expect(costFromUsage(gptImage2, usage)).toBeCloseTo(0.2107 + 0.005, 4);
  });

  it("leaves the billed cost of a model without a published price unknown (the estimate stands in)", () => {
    const usage = { input_tokens_details: { text_tokens: 10, image_tokens: 0 }, output_tokens: 7024 };
    expect(costFromUsage(model("chatgpt-image-latest"), usage)).toBeNull();
  });
});
