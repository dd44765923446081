// The rows of the model table (SPEC sections 2 and 9), each rule with the page it was read from and its date.
// Pages read with the search corpus on 2026-12-05; where nothing was found the note says so.

import type {
  ActiveModel,
  FixedSizeRules,
  FlexibleSizeRules,
  ModelParameter,
  ModelSpec,
  OutputFormat,
  Quality,
} from "./model-types.js";
import {
  GPT_IMAGE_1_MINI_PRICE,
  GPT_IMAGE_2_PRICE,
  GPT_IMAGE_15_PRICE,
  GPT_IMAGE_25_PRICE,
  GPT_IMAGE_26_PRICE,
} from "./prices.js";

export const FLEXIBLE_RULES: FlexibleSizeRules = {
  kind: "flexible",
  maxEdge: 3840,
  multiple: 16,
  maxAspect: 3,
  minPixels: 655_360,
  maxPixels: 8_294_400,
  experimentalAbove: 3_686_400,
  verified: true,
};

export const UNVERIFIED_FLEXIBLE: FlexibleSizeRules = { ...FLEXIBLE_RULES, verified: false };

const CLASSIC_SIZES: FixedSizeRules = {
  kind: "fixed",
  sizes: [
    [1024, 1024],
    [1536, 1024],
    [1024, 1536],
  ],
};

const STILL_FORMATS: readonly OutputFormat[] = ["png", "jpeg", "webp"];
const ALPHA_FORMATS: readonly OutputFormat[] = ["png", "webp"];
const BASE_QUALITIES: readonly Quality[] = ["low", "medium", "high", "auto"];
const EXTENDED_QUALITIES: readonly Quality[] = ["low", "medium", "high", "xhigh", "max", "auto"];

/** The gpt-image-2-pro preset tiers some gateways expose (SPEC section 3). */
export const GATEWAY_TIERS: Readonly<Record<string, readonly [number, number]>> = {
  "1:1(2K)": [2048, 2048],
  "4:3(2K)": [2048, 1536],
  "3:2(2K)": [2560, 1712],
  "2:3(2K)": [1712, 2560],
  "16:9(2K)": [2048, 1152],
  "9:16(2K)": [1152, 2048],
  "1:1(4K)": [2880, 2880],
  "4:3(4K)": [3840, 2880],
  "3:2(4K)": [3840, 2560],
  "2:3(4K)": [2560, 3840],
  "16:9(4K)": [3840, 2160],
  "9:16(4K)": [2160, 3840],
};

/**
 * Transparency on gpt-image-2, as the sources say it over time. The newest word and the seeds agree: refused. Should
 * the preview come back, this row (transparency) is the one thing to change.
 */
const GPT_IMAGE_2_TRANSPARENCY =
  "Transparent backgrounds: the seeds (May 2026) say unsupported (400 'Transparent background is not supported for this model.'); OpenAI's API reference of 2026-08-20 called it a preview for gpt-image-2 and its 2026-04-21 snapshot; OpenAI ended the preview on 2026-09-30 (apiyi service notice of 2026-10-15: 400, not billed, 21 of 21 calls refused). Refused locally.";

const COMPLEXITY: ModelParameter = {
  name: "complexity",
  values: ["low", "medium", "high"],
  source:
    "gpt-image-2.6 documents complexity low, medium or high (high when omitted): OpenAI's GPT Image 2.6 prompting guide and the gpt-image-2.6-sunburst model page; apidog's 2.6 guide (2026-11-05)",
};

function gptImage2Family(id: string, notes: readonly string[] = []): ActiveModel {
  return {
    id,
    status: "active",
    origin: "openai",
    sizes: FLEXIBLE_RULES,
    supportsAuto: true,
    qualities: BASE_QUALITIES,
    transparency: "unsupported",
    transparencyNote:
      "OpenAI ended gpt-image-2's transparency preview on 2026-09-30 and the API answers 400 (apiyi service notice, 2026-10-15; the seeds said unsupported too)",
    transparentFormats: ALPHA_FORMATS,
    formats: STILL_FORMATS,
    maxReferenceImages: 16,
    inputFidelity: "omit",
    price: GPT_IMAGE_2_PRICE,
    notes: [
      "Price and snapshot: developers.openai.com/api/docs/models/gpt-image-2 (default snapshot gpt-image-2-2026-04-21; Batch supported).",
      GPT_IMAGE_2_TRANSPARENCY,
      ...notes,
    ],
  };
}

const SIZE_25_NOTE =
  "Sizes: a third-party guide quoting OpenAI's docs (apidog gpt-image-2.5, 2026-09-09) and ComfyUI's node docs give gpt-image-2's rules (multiples of 16, 1:3 to 3:1, up to 3840 and 8,294,400 pixels); OpenAI's own page with the limits was not found.";

function gptImage25(id: string, notes: readonly string[]): ActiveModel {
  return {
    id,
    status: "active",
    origin: "openai",
    sizes: UNVERIFIED_FLEXIBLE,
    supportsAuto: true,
    qualities: EXTENDED_QUALITIES,
    transparency: "supported",
    transparencyNote:
      "Transparent backgrounds supported, png or webp (apidog gpt-image-2.5 guide quoting OpenAI's docs, 2026-09-09; apiyi's notice of 2026-10-15 points gpt-image-2 users here).",
    transparentFormats: ALPHA_FORMATS,
    formats: STILL_FORMATS,
    maxReferenceImages: 16,
    inputFidelity: "omit",
    markup: true,
    price: GPT_IMAGE_25_PRICE,
    notes: [
      `Price: ${GPT_IMAGE_25_PRICE.source}.`,
      "Qualities low..max and auto; each streamed partial image adds 100 output tokens (apidog gpt-image-2.5 guide quoting OpenAI's docs, 2026-09-09).",
      SIZE_25_NOTE,
      ...notes,
    ],
    sizeNote: `${id} uses the gpt-image-2 size rules; its own size caps are not published by OpenAI (only by third parties quoting it), so verify the saved file.`,
  };
}

function gptImage26(id: string, notes: readonly string[]): ActiveModel {
  return {
    ...gptImage25(id, []),
    // The openai SDK's reference gives markup to GPT Image 2.5 only.
    markup: false,
    // A GIF is an animation, measured like any raster plus its frames; SVG (vector, active content) is refused.
    formats: [...STILL_FORMATS, "gif"],
    transparentFormats: [...ALPHA_FORMATS, "gif"],
    transparencyNote:
      "Transparent backgrounds supported (OpenAI's GPT Image 2.6 prompting guide: both models support transparent backgrounds); jpeg + transparent is a 400, gif transparency is 1-bit (apiyi's 2.6 output-format FAQ, measured 2026-11-12).",
    parameters: [COMPLEXITY],
    price: GPT_IMAGE_26_PRICE,
    notes: [
      `Price: ${GPT_IMAGE_26_PRICE.source}.`,
      "Released 2026-11-04 (apiyi); output formats png (default), jpeg, webp, gif and svg; quality low..max and auto; complexity low, medium, high (apidog gpt-image-2.6 guide built from OpenAI's docs of 2026-11-05). GIF is an animation: frame_count 2-16 (default 9) and frame_duration_ms (default 200, rounded to 10 ms), no streaming, partial images, mask or output_compression (the openai SDK 7.55 reference); pixelwright measures and verifies the saved GIF's frames, and refuses svg (a vector document has no pixel size to verify).",
      "Sizes: not documented separately; validated like gpt-image-2.5 (unverified).",
      ...notes,
    ],
    sizeNote: `Limits of ${id} are not documented: validated like gpt-image-2.5; treat every limit as unverified.`,
  };
}

function classic(id: string, inputFidelity: readonly ("high" | "low")[], notes: readonly string[]): ActiveModel {
  return {
    id,
    status: "active",
    origin: "openai",
    sizes: CLASSIC_SIZES,
    supportsAuto: true,
    qualities: BASE_QUALITIES,
    transparency: "supported",
    transparencyNote:
      "Transparent backgrounds supported, png or webp (SPEC section 2; apiyi historical-versions page).",
    transparentFormats: ALPHA_FORMATS,
    formats: STILL_FORMATS,
    maxReferenceImages: 16,
    inputFidelity,
    price: null,
    notes,
  };
}

export const ROWS: readonly ModelSpec[] = [
  gptImage2Family("gpt-image-2", ["The default image model, also the default of the Responses image_generation tool."]),
  gptImage2Family("gpt-image-2-2026-04-21", ["Snapshot of gpt-image-2."]),
  gptImage25("gpt-image-2.5-sunburst", [
    "The premium 2.5 model; supports the markup overlay (not together with a mask).",
  ]),
  gptImage25("gpt-image-2.5-sunburst-2026-09-08", ["Snapshot of gpt-image-2.5-sunburst."]),
  gptImage25("gpt-image-2.5-flare", ["The faster 2.5 model; supports the markup overlay (not together with a mask)."]),
  gptImage25("gpt-image-2.5-flare-2026-09-08", ["Snapshot of gpt-image-2.5-flare."]),
  gptImage26("gpt-image-2.6-sunburst", ["The detail-first 2.6 model (developers.openai.com/api/docs/models)."]),
  gptImage26("gpt-image-2.6-flare", [
    "The speed-first 2.6 model; OpenAI's own model page for flare was not found, its rows follow sunburst's.",
  ]),
  {
    ...classic("gpt-image-1.5", ["high", "low"], [`Price: ${GPT_IMAGE_15_PRICE.source}.`]),
    price: GPT_IMAGE_15_PRICE,
  },
  {
    ...classic("gpt-image-1-mini", ["low"], [`Price: ${GPT_IMAGE_1_MINI_PRICE.source}.`]),
    price: GPT_IMAGE_1_MINI_PRICE,
    deprecated: "OpenAI's gpt-image-1-mini model page marks it deprecated (read 2026-12-05).",
  },
  {
    ...gptImage2Family("chatgpt-image-latest"),
    sizes: UNVERIFIED_FLEXIBLE,
    transparency: "unknown",
    transparencyNote: "Transparency of chatgpt-image-latest is not documented anywhere found.",
    price: null,
    notes: [
      "No published price or limits found for chatgpt-image-latest: estimated at the highest price of any row, validated with the gpt-image-2 rules.",
    ],
    sizeNote: "Sizes are not documented for chatgpt-image-latest: validated with the gpt-image-2 rules, unverified.",
  },
  {
    ...gptImage2Family("gpt-image-2-pro"),
    origin: "gateway",
    sizes: UNVERIFIED_FLEXIBLE,
    transparency: "unknown",
    transparencyNote: "A gateway's own model name: its transparency is whatever the gateway does.",
    price: null,
    tiers: GATEWAY_TIERS,
    notes: [
      "gpt-image-2-pro is a gateway model name, not an OpenAI model; it has no list price: estimated at the highest price of any row.",
    ],
    sizeNote:
      "gpt-image-2-pro is a gateway model that takes preset tiers such as 16:9(4K); gateways may deliver less than a tier promises, so verify the saved file.",
  },
  // OpenAI's gpt-image-1 model page: shut down 2026-10-23, GPT-Image-2.5 Sunburst recommended (SPEC said flare).
  { id: "gpt-image-1", status: "retired", since: "2026-10-23", replacement: "gpt-image-2.5-sunburst" },
  { id: "dall-e-3", status: "retired", since: "2026-05-12", replacement: "gpt-image-2" },
  { id: "dall-e-2", status: "retired", since: "2026-05-12", replacement: "gpt-image-2" },
];
