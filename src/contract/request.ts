// Everything about a generate_image request that can be checked without I/O, checked before any paid call.

import { InputError } from "../errors.js";
import { type CostEstimate, estimateCost } from "./cost.js";
import { type ActiveModel, type Background, lookupModel, type OutputFormat, type Quality } from "./models.js";
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

export function validateGenerateRequest(args: GenerateArgs, defaults: RequestDefaults): ValidatedRequest {
  const { profile } = defaults;
  const defaultModel = defaults.model;
  const problems: string[] = [];
  const caveats: string[] = [];
  const modelName = args.model?.trim() || defaultModel;
  const lookup = lookupModel(modelName);
  let model: ActiveModel;
  if (lookup.kind === "known" && lookup.spec.status === "retired") {
    throw new InputError(
      `model ${lookup.spec.id} was shut down on ${lookup.spec.since}; use model "${lookup.spec.replacement}" instead.`,
      "model",
    );
  }
  if (lookup.kind === "invalid") throw new InputError(`'${modelName}' is not a model name.`, "model");
  if (lookup.kind === "unknown") {
    model = lookup.assumed;
    caveats.push(lookup.assumed.sizeNote ?? "");
  } else {
    model = lookup.spec as ActiveModel;
  }

  const prompt = args.prompt;
  if (prompt.trim() === "") problems.push("prompt is empty: describe the image to generate.");
  if (prompt.length > 32_000) problems.push(`prompt has ${prompt.length} characters; the limit is 32,000.`);

  const sizeText = args.size?.trim() || DEFAULT_SIZE;
  const size = validateSize(sizeText, modelName);
  if (!size.ok) {
    const rules = size.violations.map((v) => v.message).join(" ");
    const first = size.suggestions[0];
    problems.push(
      `size ${size.input}: ${rules}${first ? ` Use size "${first.size}" (${first.why}).` : ""} validate_size lists every option.`,
    );
  }
  if (size.ok && size.experimental) {
    caveats.push(
      `${size.size} is experimental (above 2560x1440): quality may vary and it is slower; 2560x1440-class sizes are the stable alternative.`,
    );
  }
  if (model.sizeNote && lookup.kind === "known") caveats.push(model.sizeNote);

  const quality = args.quality ?? "auto";
  if (model.qualities && !model.qualities.includes(quality)) {
    problems.push(`quality "${quality}" is not offered by ${model.id}; use one of ${model.qualities.join(", ")}.`);
  }
  const format = args.output_format ?? "png";
  if (!model.formats.includes(format)) {
    problems.push(`output_format "${format}" is not offered by ${model.id}; use one of ${model.formats.join(", ")}.`);
  }
  if (args.output_compression !== undefined && format === "png") {
    problems.push('output_compression applies only to jpeg and webp; drop it or set output_format "jpeg" or "webp".');
  }
  const background = args.background;
  if (background === "transparent") {
    if (model.transparency === "unsupported") {
      problems.push(`${model.id} cannot make transparent backgrounds; use a model such as gpt-image-2.5-flare.`);
    } else if (!model.transparentFormats.includes(format)) {
      problems.push(`a transparent background needs output_format "png" or "webp", not "${format}".`);
    } else if (model.transparency === "preview") {
      caveats.push(`Transparent backgrounds are a preview feature on ${model.id}: check the saved file's alpha.`);
    } else if (model.transparency === "unknown") {
      caveats.push(`Transparent-background support of ${model.id} is undocumented: check the saved file's alpha.`);
    }
  }
  const n = args.n ?? 1;
  const referenceImages = args.reference_images ?? [];
  const maxReferences = Math.min(model.maxReferenceImages, profile.maxReferenceImages ?? Number.POSITIVE_INFINITY);
  if (referenceImages.length > maxReferences) {
    problems.push(
      `${referenceImages.length} reference images given; ${maxReferences < model.maxReferenceImages ? `the ${profile.name} profile` : model.id} takes at most ${maxReferences}.`,
    );
  }
  const route = args.route ?? "images";
  if (route === "responses" && args.mask) {
    problems.push('a mask needs the Images API edit endpoint: use route "images" (the default) or drop the mask.');
  }
  for (const param of profile.rejects) {
    if ((args as unknown as Record<string, unknown>)[param] !== undefined) {
      problems.push(`the ${profile.name} profile refuses ${param}: remove it.`);
    }
  }
  for (const param of profile.ignores) {
    const key = param === "stream" ? "partial_images" : param;
    if ((args as unknown as Record<string, unknown>)[key] !== undefined) {
      caveats.push(
        `The ${profile.name} profile may ignore ${param}: the saved file is measured, so check the verdict.`,
      );
    }
  }
  if (args.mask && referenceImages.length === 0) {
    problems.push("a mask edits a reference image: give reference_images as well (the mask applies to the first).");
  }
  if (args.input_fidelity !== undefined) {
    if (model.inputFidelity === "omit") {
      problems.push(`${model.id} does not accept input_fidelity (the API answers 400): remove it.`);
    } else if (!model.inputFidelity.includes(args.input_fidelity)) {
      problems.push(
        `input_fidelity "${args.input_fidelity}" is not offered by ${model.id}; use ${model.inputFidelity.join(" or ")}.`,
      );
    } else if (referenceImages.length === 0) {
      problems.push("input_fidelity only applies to edits: give reference_images or remove it.");
    }
  }
  if (problems.length > 0) {
    throw new InputError(`${problems.join(" ")} Nothing was sent and nothing was charged.`);
  }

  // Gateways that take preset tiers for a model get the tier name on the wire; delivery is judged by its size.
  let wireSize = size.tier ?? (size.size as string);
  if (profile.tierModels.includes(model.id) && !size.tier && model.tiers) {
    const tier = Object.entries(model.tiers).find(([, [w, h]]) => w === size.width && h === size.height);
    if (tier) wireSize = tier[0];
  }
  const cost = estimateCost({
    model,
    width: size.width,
    height: size.height,
    quality,
    n,
    promptChars: prompt.length,
    referenceImages: referenceImages.length,
  });
  return {
    prompt,
    route,
    responsesModel: args.responses_model?.trim() || defaults.responsesModel,
    model,
    size,
    wireSize,
    width: size.width,
    height: size.height,
    quality,
    format,
    compression: args.output_compression,
    background,
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
