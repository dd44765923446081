// Cost estimates (SPEC section 5). Real billing follows the usage the API returns; this is the estimate shown
// before a call (dry_run) and beside a result. Where no public figure exists the answer is "unknown", never a guess.

import type { ActiveModel, Quality } from "./models.js";

const PRICE_PER_TOKEN = {
  textInput: 5 / 1_000_000,
  imageInput: 8 / 1_000_000,
  imageOutput: 30 / 1_000_000,
} as const;

/** Tokens per tile factor by quality; xhigh and max have no public figures. */
const QUALITY_FACTOR: Partial<Record<Quality, number>> = { low: 16, medium: 48, high: 96 };

/** Output tokens for one image (community-derived formula that matches OpenAI's published figures). */
export function outputTokens(width: number, height: number, quality: "low" | "medium" | "high"): number {
  const f = QUALITY_FACTOR[quality] as number;
  const long = Math.max(width, height);
  const short = Math.min(width, height);
  const a = Math.floor((2 * f * short + long) / (2 * long));
  return Math.ceil((f * a * (2_000_000 + width * height)) / 4_000_000);
}

export interface CostEstimate {
  /** null when there is no public figure to estimate from. */
  usd: number | null;
  output_tokens_per_image: number | null;
  basis: string;
}

export interface CostInput {
  model: ActiveModel;
  width: number | null;
  height: number | null;
  quality: Quality;
  n: number;
  promptChars: number;
  referenceImages: number;
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

export function estimateCost(input: CostInput): CostEstimate {
  if (input.model.costModel !== "gpt-image-2") {
    return { usd: null, output_tokens_per_image: null, basis: `no public price for ${input.model.id}: unknown` };
  }
  if (input.width === null || input.height === null) {
    return { usd: null, output_tokens_per_image: null, basis: "size auto: the size, and so the cost, is unknown" };
  }
  // auto is billed as whatever the model picks; high is the upper bound.
  const quality = input.quality === "auto" ? "high" : input.quality;
  if (quality !== "low" && quality !== "medium" && quality !== "high") {
    return { usd: null, output_tokens_per_image: null, basis: `no public figure for quality ${quality}: unknown` };
  }
  const tokens = outputTokens(input.width, input.height, quality);
  // About four characters per text token; reference images are not priced here (their token count is unknown).
  const textTokens = Math.ceil(input.promptChars / 4);
  const usd = input.n * tokens * PRICE_PER_TOKEN.imageOutput + textTokens * PRICE_PER_TOKEN.textInput;
  const refs = input.referenceImages > 0 ? "; reference-image input tokens not included" : "";
  const auto = input.quality === "auto" ? " (quality auto estimated as high, an upper bound)" : "";
  return {
    usd: round4(usd),
    output_tokens_per_image: tokens,
    basis: `gpt-image-2 list price: ${tokens} output tokens per image at $30/1M${auto}${refs}`,
  };
}

/** Billed cost from the usage an API answer carries, at gpt-image-2 list prices. */
export function costFromUsage(
  model: ActiveModel,
  usage: { input_tokens_details?: { image_tokens?: number; text_tokens?: number }; output_tokens?: number },
): number | null {
  if (model.costModel !== "gpt-image-2") return null;
  const text = usage.input_tokens_details?.text_tokens ?? 0;
  const image = usage.input_tokens_details?.image_tokens ?? 0;
  const out = usage.output_tokens ?? 0;
  return round4(
    text * PRICE_PER_TOKEN.textInput + image * PRICE_PER_TOKEN.imageInput + out * PRICE_PER_TOKEN.imageOutput,
  );
}
