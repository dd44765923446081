// Everything about a generate_image request that can be checked without I/O, checked before any paid call. The
// rules themselves are request-checks.ts; this file runs them and builds the validated request and its wire body.

import { InputError } from "../errors.js";
import { type CostEstimate, estimateCost, GIF_DEFAULT_FRAMES } from "./cost.js";
import {
  type ActiveModel,
  type Background,
  type Complexity,
  lookupModel,
  type OutputFormat,
  type Quality,
} from "./models.js";
import type { GenerateArgs, ProfileLimits } from "./request-args.js";
import { type CheckContext, REQUEST_CHECKS } from "./request-checks.js";
import type { EditOf, Requested, SidecarRequested } from "./schemas.js";
import { type SizeReport, validateSize } from "./sizes.js";

export { type GenerateArgs, OPENAI_LIMITS, type ProfileLimits } from "./request-args.js";
export { REQUEST_CHECKS, type RequestCheck } from "./request-checks.js";

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
  markup: string | undefined;
  inputFidelity: "high" | "low" | undefined;
  moderation: "auto" | "low" | undefined;
  complexity: Complexity | undefined;
  /** A GIF's frames and delay per frame, when asked (the API's defaults otherwise: 9 frames of 200 ms). */
  frameCount: number | undefined;
  frameDurationMs: number | undefined;
  partialImages: number;
  /** The saved image this request edits (edit_of), with its chain of earlier edits; null for a fresh image. */
  editOf: EditOf | null;
  /** Estimated before any input file is read; priced again with their dimensions (withInputImages). */
  cost: CostEstimate;
  /** Things the agent should know that do not stop the request. */
  caveats: string[];
}

export const DEFAULT_SIZE = "1024x1024";

export interface RequestDefaults {
  model: string;
  responsesModel: string;
  profile: ProfileLimits;
  /** The size made when none is given (default DEFAULT_SIZE; an edit keeps its source's). */
  size?: string | undefined;
}

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
  const defaultSize = defaults.size ?? DEFAULT_SIZE;
  const size = validateSize(args.size?.trim() || defaultSize, modelName);
  const format = args.output_format ?? "png";
  const referenceImages = args.reference_images ?? [];
  const ctx: CheckContext = {
    ...{ args, model, profile, size, format, referenceImages, problems, caveats },
    defaultSize,
  };
  for (const rule of REQUEST_CHECKS) {
    rule.check(ctx);
    if (rule.name === "size" && model.sizeNote && known) caveats.push(model.sizeNote);
  }
  if (problems.length > 0 || format === "svg") {
    throw new InputError(`${problems.join(" ")} Nothing was sent and nothing was charged.`);
  }
  const req: ValidatedRequest = {
    prompt: args.prompt,
    route: args.route ?? "images",
    responsesModel: args.responses_model?.trim() || defaults.responsesModel,
    model,
    size,
    wireSize: wireSizeOf(size, model, profile),
    width: size.width,
    height: size.height,
    quality: args.quality ?? "auto",
    format,
    compression: args.output_compression,
    background: args.background,
    n: args.n ?? 1,
    referenceImages,
    mask: args.mask,
    markup: args.markup,
    inputFidelity: args.input_fidelity,
    moderation: args.moderation,
    complexity: args.complexity,
    frameCount: args.frame_count,
    frameDurationMs: args.frame_duration_ms,
    partialImages: args.partial_images ?? 0,
    editOf: null,
    cost: { usd: 0, output_tokens_per_image: 0, basis: "" },
    caveats: caveats.filter(Boolean),
  };
  return withInputImages(req, []);
}

/**
 * The request priced with the dimensions of every input image it sends (references, then the mask; for a follow-up
 * turn on the Responses route, the earlier image): input images are billed as image input tokens.
 */
export function withInputImages(
  req: ValidatedRequest,
  inputImages: readonly { width: number; height: number }[],
): ValidatedRequest {
  const cost = estimateCost({
    model: req.model,
    width: req.width,
    height: req.height,
    quality: req.quality,
    n: req.n,
    promptChars: req.prompt.length,
    inputImages,
    partialImages: req.partialImages,
    frames: req.format === "gif" ? (req.frameCount ?? GIF_DEFAULT_FRAMES) : 1,
    // The Responses tool makes one image per call: each call carries the prompt and the inputs again.
    calls: req.route === "responses" ? req.n : 1,
  });
  return { ...req, cost };
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
    ...(req.frameCount !== undefined ? { frame_count: req.frameCount } : {}),
  };
}

/** What the production record says was requested: the result's block and every other parameter that was sent. */
export function recordRequested(req: ValidatedRequest): SidecarRequested {
  return {
    ...requestedOf(req),
    partial_images: req.partialImages,
    output_compression: req.compression ?? null,
    moderation: req.moderation ?? null,
    complexity: req.complexity ?? null,
    ...(req.frameDurationMs !== undefined ? { frame_duration_ms: req.frameDurationMs } : {}),
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
  if (req.complexity !== undefined) body.complexity = req.complexity;
  if (req.frameCount !== undefined) body.frame_count = req.frameCount;
  if (req.frameDurationMs !== undefined) body.frame_duration_ms = req.frameDurationMs;
  return body;
}
