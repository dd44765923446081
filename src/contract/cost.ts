// Cost estimates (SPEC sections 5 and 9). Real billing follows the usage the API returns; this is the estimate shown
// before a call (dry_run), reserved by the spend cap, and shown beside a result. Every request gets a number: where no
// public figure exists, the estimate is an upper one and the basis says so. The simulator reports its usage with the
// same functions (usageOf), so an estimate and the simulated bill agree token for token.

import type { ActiveModel, FlexibleSizeRules, Quality, SizeRules } from "./model-types.js";
import {
  type BaseQuality,
  type FormulaOutput,
  GPT_IMAGE_2_PRICE,
  HIGHEST_PRICE,
  type PricedQuality,
  type PriceRow,
} from "./prices.js";

/** Output tokens for one image (SPEC section 5: community-derived formula that matches OpenAI's published figures). */
export function outputTokens(
  width: number,
  height: number,
  quality: BaseQuality,
  factors: Readonly<Record<BaseQuality, number>> = (GPT_IMAGE_2_PRICE.output as FormulaOutput).factors,
): number {
  const f = factors[quality];
  const long = Math.max(width, height);
  const short = Math.min(width, height);
  const a = Math.floor((2 * f * short + long) / (2 * long));
  return Math.ceil((f * a * (2_000_000 + width * height)) / 4_000_000);
}

/** Each streamed partial image adds about 100 output tokens (the seeds; apidog's 2.5 guide quoting OpenAI's docs). */
export const PARTIAL_IMAGE_TOKENS = 100;
/** Frames of a GIF when frame_count is not given (the API reference: default 9). */
export const GIF_DEFAULT_FRAMES = 9;

/** Patches of 32 px and a budget of 1,536 of them per input image (see inputImageTokens). */
const PATCH = 32;
const PATCH_BUDGET = 1536;
const MAGNIFY_TO = 1024;

const patches = (w: number, h: number) => Math.ceil(w / PATCH) * Math.ceil(h / PATCH);

/**
 * Image input tokens for one input image (a reference or the mask), from its dimensions. OpenAI does not publish
 * this; the accounting measured on gpt-image-2 edits (OpenAI community forum, "gpt-image-2 edits - Image Input
 * Pricing", 2026-06-12): a small image is magnified up to 2x towards a 1024 px long edge, the canvas is held to
 * 1:3..3:1, and the 32 px patches are counted within a budget of 1,536 (shrunk proportionally when over it).
 */
export function inputImageTokens(width: number, height: number): number {
  let w = Math.max(1, width);
  let h = Math.max(1, height);
  const long = Math.max(w, h);
  if (long < MAGNIFY_TO) {
    const up = Math.min(2, MAGNIFY_TO / long);
    w *= up;
    h *= up;
  }
  if (w > 3 * h) h = w / 3;
  if (h > 3 * w) w = h / 3;
  if (patches(w, h) <= PATCH_BUDGET) return patches(w, h);
  let scale = Math.sqrt((PATCH * PATCH * PATCH_BUDGET) / (w * h));
  // Shrink until the whole patches fit (the square root alone can leave one row or column over the budget).
  while (patches(w * scale, h * scale) > PATCH_BUDGET) scale *= 0.99;
  return patches(w * scale, h * scale);
}

/** The price row a model is billed at, and whether it is the stand-in for a model without a published price. */
export function priceOf(model: ActiveModel): { row: PriceRow; assumed: boolean } {
  return model.price ? { row: model.price, assumed: false } : { row: HIGHEST_PRICE, assumed: true };
}

/** The quality a request is billed at: auto is whatever the model picks, estimated as high (the upper bound). */
export function billedQuality(quality: Quality): PricedQuality {
  return quality === "auto" ? "high" : quality;
}

interface TokensPerImage {
  tokens: number;
  /** How they were found, for the basis: "" when from the published figure itself. */
  how: string;
}

function formulaTokens(output: FormulaOutput, width: number, height: number, quality: PricedQuality): TokensPerImage {
  const multiple = output.multiples?.[quality];
  if (multiple) {
    const base = outputTokens(width, height, multiple.of, output.factors);
    return { tokens: Math.ceil(base * multiple.times), how: multiple.source };
  }
  if (quality === "xhigh" || quality === "max") {
    // A row without a figure for these: the largest multiple any row knows, an upper estimate.
    return formulaTokens(HIGHEST_PRICE.output as FormulaOutput, width, height, quality);
  }
  return { tokens: outputTokens(width, height, quality, output.factors), how: "" };
}

/** Output tokens of one image at a size and quality, as the row bills them (tables are read back into tokens). */
export function tokensPerImage(row: PriceRow, width: number, height: number, quality: PricedQuality): TokensPerImage {
  const output = row.output;
  if (output.kind === "formula") return formulaTokens(output, width, height, quality);
  const byQuality = output.perImageUsd[quality === "xhigh" || quality === "max" ? "high" : quality];
  const listed = byQuality[`${width}x${height}`];
  const usd = listed ?? Math.max(...Object.values(byQuality));
  const how = listed === undefined ? `${width}x${height} is not in the per-image table: its largest entry is used` : "";
  return { tokens: Math.round(usd / row.imageOutputPerToken), how };
}

/** The size that costs the most under a rule set: what size auto is estimated at (the model picks it). */
export function costliestSize(rules: SizeRules): { width: number; height: number } {
  if (rules.kind === "fixed") {
    const [w, h] = [...rules.sizes].sort((a, b) => b[0] * b[1] - a[0] * a[1])[0] ?? [1024, 1024];
    return { width: w, height: h };
  }
  const flexible: FlexibleSizeRules = rules;
  const side = Math.min(
    flexible.maxEdge,
    Math.floor(Math.sqrt(flexible.maxPixels) / flexible.multiple) * flexible.multiple,
  );
  return { width: side, height: side };
}

export interface CostEstimate {
  /** Always a number: an upper estimate where no public figure exists (the basis says so). */
  usd: number;
  output_tokens_per_image: number;
  basis: string;
}

export interface CostInput {
  model: ActiveModel;
  /** null for size auto. */
  width: number | null;
  height: number | null;
  quality: Quality;
  n: number;
  promptChars: number;
  /** Dimensions of every input image sent (reference images, then the mask). */
  inputImages: readonly { width: number; height: number }[];
  partialImages: number;
  /** A GIF's frames (1 for a still): each is estimated as one image's output. */
  frames?: number;
  /** How many requests carry the prompt and the input images (the Responses route makes one per image). */
  calls?: number;
}

/** The usage an answer to this request reports: the tokens the estimate prices (and the simulator bills). */
export interface UsageFigures {
  text: number;
  image: number;
  output: number;
}

export function usageOf(input: CostInput, tokens: number): UsageFigures {
  const calls = input.calls ?? 1;
  const text = Math.ceil(input.promptChars / 4) * calls;
  const image = input.inputImages.reduce((sum, d) => sum + inputImageTokens(d.width, d.height), 0) * calls;
  const output = input.n * (tokens * (input.frames ?? 1) + input.partialImages * PARTIAL_IMAGE_TOKENS);
  return { text, image, output };
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;
const perM = (rate: number) => `$${Math.round(rate * 1_000_000 * 100) / 100}/1M`;

function basisOf(input: CostInput, row: PriceRow, assumed: boolean, tokens: TokensPerImage, usage: UsageFigures) {
  const parts = [
    `${row.name}: ${tokens.tokens} output tokens per image at ${perM(row.imageOutputPerToken)}${tokens.how ? ` (${tokens.how})` : ""}`,
  ];
  if (assumed) parts.unshift(`no published price for ${input.model.id}: estimated at ${row.name} (an upper estimate)`);
  if (input.width === null) parts.push("size auto estimated at the costliest size the model can pick (an upper bound)");
  if (input.quality === "auto") parts.push("quality auto estimated as high (an upper bound)");
  if ((input.frames ?? 1) > 1) {
    parts.push(
      `a GIF of ${input.frames} frames estimated as ${input.frames} images' output tokens (no published GIF price: an upper estimate)`,
    );
  }
  if (input.partialImages > 0) {
    parts.push(`${input.partialImages} partial image(s) add ${PARTIAL_IMAGE_TOKENS} output tokens each per image`);
  }
  if (usage.image > 0) {
    parts.push(
      `${input.inputImages.length} input image(s) (references, and a mask or markup) estimated at ${usage.image} image input tokens at ${perM(row.imageInputPerToken)} (32 px patches, budget 1,536 each: the community-measured gpt-image-2 accounting)`,
    );
  }
  parts.push(`prompt at about 4 characters per text token; source: ${row.source}`);
  return parts.join("; ");
}

export function estimateCost(input: CostInput): CostEstimate {
  const { row, assumed } = priceOf(input.model);
  const size =
    input.width === null || input.height === null
      ? costliestSize(input.model.sizes)
      : { width: input.width, height: input.height };
  const tokens = tokensPerImage(row, size.width, size.height, billedQuality(input.quality));
  const usage = usageOf(input, tokens.tokens);
  const usd =
    usage.output * row.imageOutputPerToken + usage.text * row.textInputPerToken + usage.image * row.imageInputPerToken;
  return {
    usd: round4(usd),
    output_tokens_per_image: tokens.tokens,
    basis: basisOf(input, row, assumed, tokens, usage),
  };
}

/** Billed cost from the usage an API answer carries, at the model's list prices (null without a published price). */
export function costFromUsage(
  model: ActiveModel,
  usage: {
    input_tokens?: number;
    input_tokens_details?: { image_tokens?: number; text_tokens?: number };
    output_tokens?: number;
  },
): number | null {
  const row = model.price;
  if (!row) return null;
  const details = usage.input_tokens_details;
  const split = details?.text_tokens !== undefined || details?.image_tokens !== undefined;
  const text = split ? (details?.text_tokens ?? 0) : 0;
  // Input tokens without a text/image split (the Responses route's usage): billed at the image-input rate, an
  // upper bound, rather than left out.
  const image = split ? (details?.image_tokens ?? 0) : (usage.input_tokens ?? 0);
  const out = usage.output_tokens ?? 0;
  return round4(text * row.textInputPerToken + image * row.imageInputPerToken + out * row.imageOutputPerToken);
}
