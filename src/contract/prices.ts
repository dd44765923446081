// List prices as data, each with the page it was read from. A model row names its price row; cost.ts turns a row
// and a request into an estimate, and the simulator bills its usage from the same rows, so the two always agree.

/** The three qualities with published output-token figures. */
export type BaseQuality = "low" | "medium" | "high";
/** Every quality a price row may estimate (auto is estimated as high by the caller). */
export type PricedQuality = BaseQuality | "xhigh" | "max";

/** Output tokens per image from SPEC section 5's formula, by quality factor. */
export interface FormulaOutput {
  kind: "formula";
  factors: Readonly<Record<BaseQuality, number>>;
  /**
   * Qualities without a published token figure, estimated as a multiple of another quality's tokens (an upper
   * estimate, with where the multiple comes from).
   */
  multiples?: Readonly<Partial<Record<PricedQuality, { of: BaseQuality; times: number; source: string }>>>;
}

/** Output cost per image read from a published per-image table (the fixed-size models). */
export interface TableOutput {
  kind: "table";
  /** Dollars per image by quality and size (WxH). */
  perImageUsd: Readonly<Record<BaseQuality, Readonly<Record<string, number>>>>;
}

export interface PriceRow {
  name: string;
  /** Where the figures come from (page, date read), shown in the cost basis. */
  source: string;
  textInputPerToken: number;
  imageInputPerToken: number;
  imageOutputPerToken: number;
  output: FormulaOutput | TableOutput;
}

const perMillion = (usd: number) => usd / 1_000_000;

/** The output-token factors of SPEC section 5 (community-derived from OpenAI's calculator, matching its figures). */
const GPT_IMAGE_2_FACTORS = { low: 16, medium: 48, high: 96 } as const;

/**
 * xhigh and max have no published token figures. One gateway's per-output prices for gpt-image-2.5-flare
 * (docs.creatify.ai, gpt-image-2.5-flare edit, read 2026-12-05) put xhigh at up to 1.6x and max at up to 3.4x the
 * price of high at the same size (the largest ratio over its 1K, 2K and 4K columns): used as upper estimates.
 */
const EXTENDED_MULTIPLES = {
  xhigh: { of: "high", times: 1.6, source: "up to 1.6x high, from a gateway's per-output price ratios (creatify)" },
  max: { of: "high", times: 3.4, source: "up to 3.4x high, from a gateway's per-output price ratios (creatify)" },
} as const;

/** gpt-image-2: text input $5, image input $8, image output $30 per 1M tokens. */
export const GPT_IMAGE_2_PRICE: PriceRow = {
  name: "gpt-image-2 list price",
  source: "developers.openai.com/api/docs/models/gpt-image-2 and the pricing page (SPEC section 5)",
  textInputPerToken: perMillion(5),
  imageInputPerToken: perMillion(8),
  imageOutputPerToken: perMillion(30),
  output: { kind: "formula", factors: GPT_IMAGE_2_FACTORS },
};

/**
 * gpt-image-2.5-flare/-sunburst: the same rates as gpt-image-2 ($5 / $8 / $30 per 1M), per apidog's gpt-image-2.5
 * guide quoting OpenAI's pricing page (2026-09-09) and laozhang's 2.5 page ("the same token rates as gpt-image-2").
 * Their tokens per quality are not published: estimated with gpt-image-2's formula.
 */
export const GPT_IMAGE_25_PRICE: PriceRow = {
  name: "gpt-image-2.5 list price",
  source:
    "$5/$8/$30 per 1M as on gpt-image-2 (apidog gpt-image-2.5 guide quoting OpenAI's pricing page, 2026-09-09; laozhang gpt-image-2-5 page); tokens per quality unpublished, gpt-image-2's formula used",
  textInputPerToken: perMillion(5),
  imageInputPerToken: perMillion(8),
  imageOutputPerToken: perMillion(30),
  output: { kind: "formula", factors: GPT_IMAGE_2_FACTORS, multiples: EXTENDED_MULTIPLES },
};

/**
 * gpt-image-2.6-flare/-sunburst: $5 / $8 / $30 per 1M on OpenAI's gpt-image-2.6-sunburst model page (read
 * 2026-12-05; the flare page was not found, gateways list the same rates). laozhang's 2.6 page: low and medium use
 * 3-4x the tokens of 2.5, high and above the same: estimated at 4x (the upper end).
 */
export const GPT_IMAGE_26_PRICE: PriceRow = {
  name: "gpt-image-2.6 list price",
  source:
    "$5/$8/$30 per 1M (developers.openai.com/api/docs/models/gpt-image-2.6-sunburst, read 2026-12-05); low and medium at 4x gpt-image-2.5's tokens (laozhang gpt-image-2-6 page: 3-4x); tokens otherwise as gpt-image-2's formula",
  textInputPerToken: perMillion(5),
  imageInputPerToken: perMillion(8),
  imageOutputPerToken: perMillion(30),
  output: {
    kind: "formula",
    factors: GPT_IMAGE_2_FACTORS,
    multiples: {
      ...EXTENDED_MULTIPLES,
      low: { of: "low", times: 4, source: "4x gpt-image-2.5's low tokens (laozhang: 3-4x)" },
      medium: { of: "medium", times: 4, source: "4x gpt-image-2.5's medium tokens (laozhang: 3-4x)" },
    },
  },
};

/**
 * gpt-image-1.5: text input $5, image input $8, image output $32 per 1M, and per-image prices (1024x1024 low
 * $0.009, medium $0.034, high $0.133; 1536x1024 and 1024x1536 $0.013 / $0.050 / $0.200). OpenAI's own page was
 * not found in the corpus: llmreference.com's gpt-image-1.5 OpenAI API page (refreshed 2026-05-10) and apiyi's
 * historical-versions page (text input $5) are the sources.
 */
export const GPT_IMAGE_15_PRICE: PriceRow = {
  name: "gpt-image-1.5 list price",
  source:
    "llmreference.com gpt-image-1.5 on the OpenAI API (2026-05-10): $8 image in, $32 image out per 1M and per-image prices; apiyi historical-versions page: $5 text in; OpenAI's own page not found",
  textInputPerToken: perMillion(5),
  imageInputPerToken: perMillion(8),
  imageOutputPerToken: perMillion(32),
  output: {
    kind: "table",
    perImageUsd: {
      low: { "1024x1024": 0.009, "1536x1024": 0.013, "1024x1536": 0.013 },
      medium: { "1024x1024": 0.034, "1536x1024": 0.05, "1024x1536": 0.05 },
      high: { "1024x1024": 0.133, "1536x1024": 0.2, "1024x1536": 0.2 },
    },
  },
};

/** gpt-image-1-mini: $2 text in, $2.50 image in, $8 image out per 1M, and its per-image table. */
export const GPT_IMAGE_1_MINI_PRICE: PriceRow = {
  name: "gpt-image-1-mini list price",
  source: "developers.openai.com/api/docs/models/gpt-image-1-mini (read 2026-12-05; the page marks it deprecated)",
  textInputPerToken: perMillion(2),
  imageInputPerToken: perMillion(2.5),
  imageOutputPerToken: perMillion(8),
  output: {
    kind: "table",
    perImageUsd: {
      low: { "1024x1024": 0.005, "1536x1024": 0.006, "1024x1536": 0.006 },
      medium: { "1024x1024": 0.011, "1536x1024": 0.015, "1024x1536": 0.015 },
      high: { "1024x1024": 0.036, "1536x1024": 0.052, "1024x1536": 0.052 },
    },
  },
};

export const PRICE_ROWS: readonly PriceRow[] = [
  GPT_IMAGE_2_PRICE,
  GPT_IMAGE_25_PRICE,
  GPT_IMAGE_26_PRICE,
  GPT_IMAGE_15_PRICE,
  GPT_IMAGE_1_MINI_PRICE,
];

/**
 * What a model without a known price is estimated at: the highest rate of any row for each kind of token, and the
 * largest multiples, on gpt-image-2's formula (any size can be priced). Never free, and said so in the basis.
 */
export const HIGHEST_PRICE: PriceRow = {
  name: "the highest price of any known model",
  source: "no published price: estimated at the highest rates pixelwright knows, an upper estimate",
  textInputPerToken: Math.max(...PRICE_ROWS.map((r) => r.textInputPerToken)),
  imageInputPerToken: Math.max(...PRICE_ROWS.map((r) => r.imageInputPerToken)),
  imageOutputPerToken: Math.max(...PRICE_ROWS.map((r) => r.imageOutputPerToken)),
  output: GPT_IMAGE_26_PRICE.output,
};

/**
 * The Batch API's discount: requests sent as a JSONL file through /v1/files and /v1/batches (answered within the
 * 24 h window, not at once) are billed at half the list price of their tokens. OpenAI's gpt-image-2 model page lists
 * the Batch API among its endpoints; the discount is the one the Batch guide documents for every batch (SPEC
 * section 9; apidog's Batch API guide: "a flat 50% discount on both input and output tokens").
 */
export const BATCH_DISCOUNT = {
  factor: 0.5,
  source:
    "developers.openai.com/api/docs/guides/batch (50% of the list price, results within 24 h) and the gpt-image-2 model page (Batch API listed); SPEC section 9",
} as const;
