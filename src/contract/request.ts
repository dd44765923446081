// Everything about a generate_image request that can be checked without I/O, checked before any paid call.

import { InputError } from "../errors.js";
import { type CostEstimate, estimateCost } from "./cost.js";
import {
  type ActiveModel,
  activeModels,
  type Background,
  lookupModel,
  type OutputFormat,
  type Quality,
} from "./models.js";
import type { Requested } from "./schemas.js";
import { type SizeReport, validateSize } from "./sizes.js";

/** What the request contract needs to know about the upstream profile (upstream/gateways.ts holds the data). */
export interface ProfileLimits {
  name: string;
  rejects: readonly string[];
  ignores: readonly string[];
  tierModels: readonly string[];
  maxReferenceImages?: number | undefined;
}

export const OPENAI_LIMITS: ProfileLimits = { name: "openai", rejects: [], ignores: [], tierModels: [] };

export interface GenerateArgs {
  prompt: string;
  route?: "images" | "responses" | undefined;
  responses_model?: string | undefined;
  size?: string | undefined;
  model?: string | undefined;
  quality?: Quality | undefined;
  output_format?: OutputFormat | undefined;
  output_compression?: number | undefined;
  background?: Background | undefined;
  n?: number | undefined;
  reference_images?: string[] | undefined;
  mask?: string | undefined;
  input_fidelity?: "high" | "low" | undefined;
  moderation?: "auto" | "low" | undefined;
  partial_images?: number | undefined;
}

export interface ValidatedRequest {
  prompt: string;
  route: "images" | "responses";
  responsesModel: string;
  model: ActiveModel;
  size: SizeReport;
  /** What is sent upstream as `size`: WxH, auto, or the gateway tier name. */
  wireSize: string;
  width: number | null;
  height: number | null;
  quality: Quality;
  format: OutputFormat;
  compression: number | undefined;
  background: Background | undefined;
  n: number;
  referenceImages: string[];
  mask: string | undefined;
  inputFidelity: "high" | "low" | undefined;
  moderation: "auto" | "low" | undefined;
  partialImages: number;
  cost: CostEstimate;
  /** Things the agent should know that do not stop the request. */
  caveats: string[];
}

export const DEFAULT_SIZE = "1024x1024";

export interface RequestDefaults {
  model: string;
  responsesModel: string;
  profile: ProfileLimits;
}

/** What every request check sees, and where it writes what it finds. */
interface CheckContext {
  args: GenerateArgs;
  model: ActiveModel;
  profile: ProfileLimits;
  size: SizeReport;
  format: OutputFormat;
  referenceImages: string[];
  problems: string[];
  caveats: string[];
}

/** A named rule of the request contract: pushes a problem (refused locally) or a caveat (sent, with a warning). */
export interface RequestCheck {
  name: string;
  check(ctx: CheckContext): void;
}

const argValue = (args: GenerateArgs, key: string) => (args as unknown as Record<string, unknown>)[key];

/** The request contract as data: each rule is one named check, run in this order. */
export const REQUEST_CHECKS: readonly RequestCheck[] = [
  {
    name: "prompt",
    check: ({ args, problems }) => {
      if (args.prompt.trim() === "") problems.push("prompt is empty: describe the image to generate.");
      if (args.prompt.length > 32_000)
        problems.push(`prompt has ${args.prompt.length} characters; the limit is 32,000.`);
    },
  },
  {
    name: "size",
    check: ({ size, problems, caveats }) => {
      const ceilingOnly =
        size.tier !== null && size.violations.every((v) => v.rule === "max_pixels" || v.rule === "max_edge");
      if (!size.ok && ceilingOnly) {
        // A gateway tier is the gateway's promise: sent as named; only the measured file tells what it delivers.
        caveats.push(
          `${size.tier} promises ${size.size}, above gpt-image-2's pixel ceiling: the tier is sent as the gateway names it, the delivered size will be whatever the gateway chooses, and the measured file says what came.`,
        );
      } else if (!size.ok) {
        const rules = size.violations.map((v) => v.message).join(" ");
        const first = size.suggestions[0];
        problems.push(
          `size ${size.input}: ${rules}${first ? ` Use size "${first.size}" (${first.why}).` : ""} validate_size lists every option.`,
        );
      } else if (size.experimental) {
        caveats.push(
          `${size.size} is experimental (above 2560x1440): quality may vary and it is slower; 2560x1440-class sizes are the stable alternative.`,
        );
      }
    },
  },
  {
    name: "quality",
    check: ({ args, model, problems }) => {
      const quality = args.quality ?? "auto";
      if (model.qualities && !model.qualities.includes(quality)) {
        problems.push(`quality "${quality}" is not offered by ${model.id}; use one of ${model.qualities.join(", ")}.`);
      }
    },
  },
  {
    name: "output_format",
    check: ({ model, format, args, problems }) => {
      if (!model.formats.includes(format)) {
        problems.push(
          `output_format "${format}" is not offered by ${model.id}; use one of ${model.formats.join(", ")}.`,
        );
      }
      if (args.output_compression !== undefined && format === "png") {
        problems.push(
          'output_compression applies only to jpeg and webp; drop it or set output_format "jpeg" or "webp".',
        );
      }
    },
  },
  {
    name: "background",
    check: ({ args, model, format, problems, caveats }) => {
      if (args.background !== "transparent") return;
      if (model.transparency === "unsupported") {
        const alternative = activeModels().find((m) => m.transparency === "supported" && m.sizes.kind === "flexible");
        problems.push(
          `${model.id} cannot make transparent backgrounds${alternative ? `; use a model such as ${alternative.id}` : ""}.`,
        );
      } else if (!model.transparentFormats.includes(format)) {
        problems.push(`a transparent background needs output_format "png" or "webp", not "${format}".`);
      } else if (model.transparency === "preview") {
        caveats.push(`Transparent backgrounds are a preview feature on ${model.id}: check the saved file's alpha.`);
      } else if (model.transparency === "unknown") {
        caveats.push(`Transparent-background support of ${model.id} is undocumented: check the saved file's alpha.`);
      }
    },
  },
  {
    name: "reference_images",
    check: ({ model, profile, referenceImages, problems }) => {
      const max = Math.min(model.maxReferenceImages, profile.maxReferenceImages ?? Number.POSITIVE_INFINITY);
      if (referenceImages.length > max) {
        const who = max < model.maxReferenceImages ? `the ${profile.name} profile` : model.id;
        problems.push(`${referenceImages.length} reference images given; ${who} takes at most ${max}.`);
      }
    },
  },
  {
    name: "route",
    check: ({ args, problems }) => {
      if ((args.route ?? "images") === "responses" && args.mask) {
        problems.push('a mask needs the Images API edit endpoint: use route "images" (the default) or drop the mask.');
      }
    },
  },
  {
    name: "profile",
    check: ({ args, profile, problems, caveats }) => {
      for (const param of profile.rejects) {
        if (argValue(args, param) !== undefined)
          problems.push(`the ${profile.name} profile refuses ${param}: remove it.`);
      }
      for (const param of profile.ignores) {
        if (argValue(args, param === "stream" ? "partial_images" : param) !== undefined) {
          caveats.push(
            `The ${profile.name} profile may ignore ${param}: the saved file is measured, so check the verdict.`,
          );
        }
      }
    },
  },
  {
    name: "mask",
    check: ({ args, referenceImages, problems }) => {
      if (args.mask && referenceImages.length === 0) {
        problems.push("a mask edits a reference image: give reference_images as well (the mask applies to the first).");
      }
    },
  },
  {
    name: "input_fidelity",
    check: ({ args, model, referenceImages, problems }) => {
      const fidelity = args.input_fidelity;
      if (fidelity === undefined) return;
      if (model.inputFidelity === "omit") {
        problems.push(`${model.id} does not accept input_fidelity (the API answers 400): remove it.`);
      } else if (!model.inputFidelity.includes(fidelity)) {
        problems.push(
          `input_fidelity "${fidelity}" is not offered by ${model.id}; use ${model.inputFidelity.join(" or ")}.`,
        );
      } else if (referenceImages.length === 0) {
        problems.push("input_fidelity only applies to edits: give reference_images or remove it.");
      }
    },
  },
];

/** The model a request names: refused when retired or not a model name; gateways' own names are assumed. */
function requestModel(modelName: string, caveats: string[]): { model: ActiveModel; known: boolean } {
  const lookup = lookupModel(modelName);
  if (lookup.kind === "known" && lookup.spec.status === "retired") {
    throw new InputError(
      `model ${lookup.spec.id} was shut down on ${lookup.spec.since}; use model "${lookup.spec.replacement}" instead.`,
      "model",
    );
  }
  if (lookup.kind === "invalid") throw new InputError(`'${modelName}' is not a model name.`, "model");
  if (lookup.kind === "unknown") {
    caveats.push(lookup.assumed.sizeNote ?? "");
    return { model: lookup.assumed, known: false };
  }
  return { model: lookup.spec as ActiveModel, known: true };
}

/** Gateways that take preset tiers for a model get the tier name on the wire; delivery is judged by its size. */
function wireSizeOf(size: SizeReport, model: ActiveModel, profile: ProfileLimits): string {
  if (size.tier) return size.tier;
  if (profile.tierModels.includes(model.id) && model.tiers) {
    const tier = Object.entries(model.tiers).find(([, [w, h]]) => w === size.width && h === size.height);
    if (tier) return tier[0];
  }
  return size.size as string;
}

export function validateGenerateRequest(args: GenerateArgs, defaults: RequestDefaults): ValidatedRequest {
  const { profile } = defaults;
  const caveats: string[] = [];
  const problems: string[] = [];
  const modelName = args.model?.trim() || defaults.model;
  const { model, known } = requestModel(modelName, caveats);
  const size = validateSize(args.size?.trim() || DEFAULT_SIZE, modelName);
  const format = args.output_format ?? "png";
  const referenceImages = args.reference_images ?? [];
  const ctx: CheckContext = { args, model, profile, size, format, referenceImages, problems, caveats };
  for (const rule of REQUEST_CHECKS) {
    rule.check(ctx);
    if (rule.name === "size" && model.sizeNote && known) caveats.push(model.sizeNote);
  }
  if (problems.length > 0) {
    throw new InputError(`${problems.join(" ")} Nothing was sent and nothing was charged.`);
  }
  const quality = args.quality ?? "auto";
  const n = args.n ?? 1;
  const cost = estimateCost({
    model,
    width: size.width,
    height: size.height,
    quality,
    n,
    promptChars: args.prompt.length,
    referenceImages: referenceImages.length,
  });
  return {
    prompt: args.prompt,
    route: args.route ?? "images",
    responsesModel: args.responses_model?.trim() || defaults.responsesModel,
    model,
    size,
    wireSize: wireSizeOf(size, model, profile),
    width: size.width,
    height: size.height,
    quality,
    format,
    compression: args.output_compression,
    background: args.background,
    n,
    referenceImages,
    mask: args.mask,
    inputFidelity: args.input_fidelity,
    moderation: args.moderation,
    partialImages: args.partial_images ?? 0,
    cost,
    caveats: caveats.filter(Boolean),
  };
}

/** The URL path a request goes to: the one place it is worked out (results, records, the upstream). */
export function endpointPath(route: "images" | "responses", edit: boolean): string {
  if (route === "responses") return "/v1/responses";
  return edit ? "/v1/images/edits" : "/v1/images/generations";
}

/** What a result says was requested: the one place it is built. */
export function requestedOf(req: ValidatedRequest): Requested {
  return {
    size: req.wireSize,
    quality: req.quality,
    output_format: req.format,
    background: req.background ?? null,
    n: req.n,
  };
}

/** The JSON fields sent to the Images API for a validated request (only what the user or the contract set). */
export function imagesApiBody(req: ValidatedRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { model: req.model.id, prompt: req.prompt, size: req.wireSize };
  if (req.quality !== "auto") body.quality = req.quality;
  if (req.format !== "png") body.output_format = req.format;
  if (req.compression !== undefined) body.output_compression = req.compression;
  if (req.background !== undefined) body.background = req.background;
  if (req.moderation !== undefined) body.moderation = req.moderation;
  if (req.inputFidelity !== undefined) body.input_fidelity = req.inputFidelity;
  return body;
}
