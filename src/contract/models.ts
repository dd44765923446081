// The model capability table of SPEC section 2, as data. Adding a model is a row here, not a new branch elsewhere.

export type Quality = "low" | "medium" | "high" | "auto" | "xhigh" | "max";
export type OutputFormat = "png" | "jpeg" | "webp";
export type Background = "auto" | "opaque" | "transparent";

/** The flexible-size rule set of SPEC section 1. */
export interface FlexibleSizeRules {
  kind: "flexible";
  maxEdge: number;
  multiple: number;
  maxAspect: number;
  minPixels: number;
  maxPixels: number;
  /** Above this many pixels the output is officially experimental. */
  experimentalAbove: number;
  /** false when the limits are inherited by assumption rather than documented for this model. */
  verified: boolean;
}

export interface FixedSizeRules {
  kind: "fixed";
  sizes: readonly (readonly [number, number])[];
}

export type SizeRules = FlexibleSizeRules | FixedSizeRules;

/** transparent-background support: "preview" works but is not yet generally available. */
export type TransparencySupport = "supported" | "preview" | "unsupported" | "unknown";

export interface ActiveModel {
  id: string;
  status: "active";
  /** Who serves it: an OpenAI model, or a name only gateways expose. */
  origin: "openai" | "gateway";
  sizes: SizeRules;
  supportsAuto: boolean;
  /** null when the qualities are not documented. */
  qualities: readonly Quality[] | null;
  transparency: TransparencySupport;
  transparentFormats: readonly OutputFormat[];
  formats: readonly OutputFormat[];
  maxReferenceImages: number;
  /** "omit": the API answers 400 when input_fidelity is sent. */
  inputFidelity: "omit" | readonly ("high" | "low")[];
  /** Gateway preset size names this model accepts, mapped to the size they promise. */
  tiers?: Readonly<Record<string, readonly [number, number]>>;
  /** The model's list price row (SPEC section 5), or null when there is no public price: cost is then "unknown". */
  price: PriceRow | null;
  notes: readonly string[];
  /** What a size check must tell the user about this model's limits, when anything. */
  sizeNote?: string;
}

export interface RetiredModel {
  id: string;
  status: "retired";
  /** ISO date the model stopped answering. */
  since: string;
  replacement: string;
}

export type ModelSpec = ActiveModel | RetiredModel;

/** A list price: dollars per token, and whether SPEC section 5's output-token formula estimates its images. */
export interface PriceRow {
  name: string;
  textInputPerToken: number;
  imageInputPerToken: number;
  imageOutputPerToken: number;
  /** Output tokens per image by quality factor (low, medium, high); xhigh and max have no public figures. */
  qualityFactors: Readonly<Partial<Record<Quality, number>>>;
}

/** gpt-image-2 list prices: text input $5 / 1M tokens, image input $8 / 1M, image output $30 / 1M. */
export const GPT_IMAGE_2_PRICE: PriceRow = {
  name: "gpt-image-2 list price",
  textInputPerToken: 5 / 1_000_000,
  imageInputPerToken: 8 / 1_000_000,
  imageOutputPerToken: 30 / 1_000_000,
  qualityFactors: { low: 16, medium: 48, high: 96 },
};

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

const UNVERIFIED_FLEXIBLE: FlexibleSizeRules = { ...FLEXIBLE_RULES, verified: false };

const CLASSIC_SIZES: FixedSizeRules = {
  kind: "fixed",
  sizes: [
    [1024, 1024],
    [1536, 1024],
    [1024, 1536],
  ],
};

const ALL_FORMATS: readonly OutputFormat[] = ["png", "jpeg", "webp"];
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

function gptImage2Family(id: string, notes: readonly string[] = []): ActiveModel {
  return {
    id,
    status: "active",
    origin: "openai",
    sizes: FLEXIBLE_RULES,
    supportsAuto: true,
    qualities: BASE_QUALITIES,
    transparency: "preview",
    transparentFormats: ALPHA_FORMATS,
    formats: ALL_FORMATS,
    maxReferenceImages: 16,
    inputFidelity: "omit",
    price: GPT_IMAGE_2_PRICE,
    notes: [
      "Transparent backgrounds are a preview feature for gpt-image-2 (since 2026-08-20), PNG or WebP only.",
      ...notes,
    ],
  };
}

function gptImage25(id: string, notes: readonly string[]): ActiveModel {
  return {
    id,
    status: "active",
    origin: "openai",
    sizes: UNVERIFIED_FLEXIBLE,
    supportsAuto: true,
    qualities: EXTENDED_QUALITIES,
    transparency: "supported",
    transparentFormats: ALPHA_FORMATS,
    formats: ALL_FORMATS,
    maxReferenceImages: 16,
    inputFidelity: "omit",
    price: null,
    notes: ["No public pricing for this model: cost is reported as unknown.", ...notes],
    sizeNote: `${id} uses the gpt-image-2 size rules; its own size caps are not published, so verify the saved file.`,
  };
}

function gptImage26(id: string): ActiveModel {
  return {
    ...gptImage25(id, []),
    qualities: null,
    transparency: "unknown",
    notes: ["No public pricing for this model: cost is reported as unknown."],
    sizeNote: `Limits of ${id} are not documented: validated like gpt-image-2.5; treat every limit as unverified.`,
  };
}

function classic(id: string, inputFidelity: readonly ("high" | "low")[]): ActiveModel {
  return {
    id,
    status: "active",
    origin: "openai",
    sizes: CLASSIC_SIZES,
    supportsAuto: true,
    qualities: BASE_QUALITIES,
    transparency: "supported",
    transparentFormats: ALPHA_FORMATS,
    formats: ALL_FORMATS,
    maxReferenceImages: 16,
    inputFidelity,
    price: null,
    notes: [],
  };
}

const ROWS: readonly ModelSpec[] = [
  gptImage2Family("gpt-image-2", ["The default image model, also the default of the Responses image_generation tool."]),
  gptImage2Family("gpt-image-2-2026-04-21"),
  gptImage25("gpt-image-2.5-sunburst", [
    "The premium 2.5 model; supports the markup overlay (not together with a mask).",
  ]),
  gptImage25("gpt-image-2.5-sunburst-2026-09-08", ["Snapshot of gpt-image-2.5-sunburst."]),
  gptImage25("gpt-image-2.5-flare", ["The faster 2.5 model; supports the markup overlay (not together with a mask)."]),
  gptImage25("gpt-image-2.5-flare-2026-09-08", ["Snapshot of gpt-image-2.5-flare."]),
  gptImage26("gpt-image-2.6-sunburst"),
  gptImage26("gpt-image-2.6-flare"),
  classic("gpt-image-1.5", ["high", "low"]),
  classic("gpt-image-1-mini", ["low"]),
  {
    ...gptImage2Family("chatgpt-image-latest"),
    sizes: UNVERIFIED_FLEXIBLE,
    transparency: "unknown",
    price: null,
    notes: [],
    sizeNote: "Sizes are not documented for chatgpt-image-latest: validated with the gpt-image-2 rules, unverified.",
  },
  {
    ...gptImage2Family("gpt-image-2-pro"),
    origin: "gateway",
    sizes: UNVERIFIED_FLEXIBLE,
    transparency: "unknown",
    price: null,
    tiers: GATEWAY_TIERS,
    notes: ["gpt-image-2-pro is a gateway model name, not an OpenAI model."],
    sizeNote:
      "gpt-image-2-pro is a gateway model that takes preset tiers such as 16:9(4K); gateways may deliver less than a tier promises, so verify the saved file.",
  },
  { id: "gpt-image-1", status: "retired", since: "2026-10-23", replacement: "gpt-image-2.5-flare" },
  { id: "dall-e-3", status: "retired", since: "2026-05-12", replacement: "gpt-image-2" },
  { id: "dall-e-2", status: "retired", since: "2026-05-12", replacement: "gpt-image-2" },
];

export const MODELS: ReadonlyMap<string, ModelSpec> = new Map(ROWS.map((row) => [row.id, row]));

export const DEFAULT_MODEL = "gpt-image-2";

/** The text model that calls the image_generation tool on the Responses route, unless configured otherwise. */
export const DEFAULT_RESPONSES_MODEL = "gpt-5";

/** Model names gateways invent are accepted; anything that cannot be a model identifier is not. */
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

export type ModelLookup =
  | { kind: "known"; spec: ModelSpec }
  | { kind: "unknown"; id: string; assumed: ActiveModel }
  | { kind: "invalid"; id: string };

export function lookupModel(name: string): ModelLookup {
  const id = name.trim();
  const spec = MODELS.get(id) ?? MODELS.get(id.toLowerCase());
  if (spec) return { kind: "known", spec };
  if (!MODEL_NAME.test(id)) return { kind: "invalid", id };
  const base = MODELS.get(DEFAULT_MODEL) as ActiveModel;
  return {
    kind: "unknown",
    id,
    assumed: {
      ...base,
      id,
      sizes: UNVERIFIED_FLEXIBLE,
      transparency: "unknown",
      price: null,
      notes: [],
      sizeNote: `${id} is not a model pixelwright knows: validated with the gpt-image-2 rules; verify the saved file.`,
    },
  };
}

/** Models only gateways expose, which take preset tier names as sizes (e.g. gpt-image-2-pro with 16:9(4K)). */
export function tierModels(): string[] {
  return activeModels()
    .filter((m) => m.origin === "gateway" && m.tiers !== undefined)
    .map((m) => m.id);
}

export function activeModels(): ActiveModel[] {
  return ROWS.filter((row): row is ActiveModel => row.status === "active");
}
