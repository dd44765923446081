import { describe, expect, it } from "vitest";
import { costFromUsage, estimateCost, outputTokens } from "../../src/contract/cost.js";
import { type ActiveModel, MODELS } from "../../src/contract/models.js";

const gptImage2 = MODELS.get("gpt-image-2") as ActiveModel;

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

describe("cost estimate", () => {
  const base = { model: gptImage2, quality: "high" as const, n: 1, promptChars: 0, referenceImages: 0 };

  it("prices 1024x1024 high at $0.2107 and 3840x2160 high at $0.4003", () => {
    expect(estimateCost({ ...base, width: 1024, height: 1024 }).usd).toBe(0.2107);
    expect(estimateCost({ ...base, width: 3840, height: 2160 }).usd).toBe(0.4003);
  });

  it("multiplies by n", () => {
    expect(estimateCost({ ...base, width: 1024, height: 1024, n: 3 }).usd).toBeCloseTo(0.6322, 4);
  });

  it("says unknown, never guesses, for models and qualities without public figures", () => {
    const flare = MODELS.get("gpt-image-2.5-flare") as ActiveModel;
    expect(estimateCost({ ...base, model: flare, width: 1024, height: 1024 }).usd).toBeNull();
    expect(estimateCost({ ...base, quality: "xhigh", width: 1024, height: 1024 }).usd).toBeNull();
    expect(estimateCost({ ...base, width: null, height: null }).usd).toBeNull();
  });

  it("bills returned usage at list prices", () => {
    const usage = { input_tokens_details: { text_tokens: 1000, image_tokens: 0 }, output_tokens: 7024 };
    expect(costFromUsage(gptImage2, usage)).toBeCloseTo(0.2107 + 0.005, 4);
  });
});
