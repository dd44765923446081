// Cost estimates (SPEC section 5). Real billing follows the usage the API returns; this is the estimate shown
// before a call (dry_run) and beside a result. Where no public figure exists the answer is "unknown", never a guess.
// Prices are data: each model row in models.ts names its price row, or none.

import { type ActiveModel, GPT_IMAGE_2_PRICE, type PriceRow, type Quality } from "./models.js";

/** Output tokens for one image (community-derived formula that matches OpenAI's published figures). */
export function outputTokens(
  width: number,
  height: number,
  quality: "low" | "medium" | "high",
  price: PriceRow = GPT_IMAGE_2_PRICE,
): number {
  const f = price.qualityFactors[quality] as number;
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

function unknown(basis: string): CostEstimate {
  return { usd: null, output_tokens_per_image: null, basis };
}

export function estimateCost(input: CostInput): CostEstimate {
  const { price } = input.model;
  if (!price) return unknown(`no public price for ${input.model.id}: unknown`);
  if (input.width === null || input.height === null) {
    return unknown("size auto: the size, and so the cost, is unknown");
  }
  // auto is billed as whatever the model picks; high is the upper bound.
  const quality = input.quality === "auto" ? "high" : input.quality;
  if ((quality !== "low" && quality !== "medium" && quality !== "high") || !price.qualityFactors[quality]) {
    return unknown(`no public figure for quality ${quality}: unknown`);
  }
  const tokens = outputTokens(input.width, input.height, quality, price);
  // About four characters per text token; reference images are not priced here (their token count is unknown).
  const textTokens = Math.ceil(input.promptChars / 4);
  const usd = input.n * tokens * price.imageOutputPerToken + textTokens * price.textInputPerToken;
  const refs = input.referenceImages > 0 ? "; reference-image input tokens not included" : "";
  const auto = input.quality === "auto" ? " (quality auto estimated as high, an upper bound)" : "";
  const perMillion = Math.round(price.imageOutputPerToken * 1_000_000);
  return {
    usd: round4(usd),
    output_tokens_per_image: tokens,
    basis: `${price.name}: ${tokens} output tokens per image at $${perMillion}/1M${auto}${refs}`,
  };
}

/** Billed cost from the usage an API answer carries, at the model's list prices (null without a price row). */
export function costFromUsage(
  model: ActiveModel,
  usage: { input_tokens_details?: { image_tokens?: number; text_tokens?: number }; output_tokens?: number },
): number | null {
  const { price } = model;
  if (!price) return null;
  const text = usage.input_tokens_details?.text_tokens ?? 0;
  const image = usage.input_tokens_details?.image_tokens ?? 0;
  const out = usage.output_tokens ?? 0;
  return round4(text * price.textInputPerToken + image * price.imageInputPerToken + out * price.imageOutputPerToken);
}
