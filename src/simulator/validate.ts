// What the real Images API refuses, with its error shapes and wording (SPEC sections 2 and 4), so the server's
// local checks and its handling of upstream 400s can both be tested against something honest.

import { type ActiveModel, lookupModel, type OutputFormat, type Quality } from "../contract/models.js";
import { parseSize, validateSize } from "../contract/sizes.js";

export interface ApiErrorBody {
  status: number;
  error: { message: string; type: string; param: string | null; code: string | null };
}

export interface SimRequest {
  model: ActiveModel;
  prompt: string;
  width: number;
  height: number;
  /** true when the caller sent size auto and the simulator chose. */
  auto: boolean;
  quality: Quality;
  format: OutputFormat;
  compression: number | undefined;
  transparent: boolean;
  background: string;
  n: number;
  partialImages: number;
  stream: boolean;
  /** A GIF's frames (1 for any other format) and each frame's delay. */
  frames: number;
  frameDurationMs: number;
}

const GENERATION_PARAMS = new Set([
  "model",
  "prompt",
  "size",
  "quality",
  "output_format",
  "output_compression",
  "background",
  "n",
  "moderation",
  "partial_images",
  "stream",
  "user",
  "frame_count",
  "frame_duration_ms",
]);
const EDIT_PARAMS = new Set([...GENERATION_PARAMS, "image", "image[]", "mask", "markup", "input_fidelity"]);

function bad(message: string, param: string | null, code: string | null = null, status = 400): ApiErrorBody {
  return { status, error: { message, type: "invalid_request_error", param, code } };
}

type Check<T> = T | ApiErrorBody;
const failed = <T>(r: Check<T>): r is ApiErrorBody => typeof r === "object" && r !== null && "error" in r;

/** The model named, as the API knows it (an unknown or retired name is a 404), and no parameter it does not take. */
function modelOf(body: Record<string, unknown>, kind: "generation" | "edit"): Check<ActiveModel> {
  const modelName = typeof body.model === "string" ? body.model : "gpt-image-2";
  const lookup = lookupModel(modelName);
  if (lookup.kind !== "known" || lookup.spec.status !== "active") {
    return bad(
      `The model \`${modelName}\` does not exist or you do not have access to it.`,
      null,
      "model_not_found",
      404,
    );
  }
  const model = lookup.spec;
  const allowed = kind === "edit" ? EDIT_PARAMS : GENERATION_PARAMS;
  for (const key of Object.keys(body)) {
    const own = model.parameters?.some((p) => p.name === key) ?? false;
    if (!allowed.has(key) && !own) return bad(`Unknown parameter: '${key}'.`, key, "unknown_parameter");
  }
  return model;
}

/** The size: WxH (or a tier name the model lists) that passes the model's rules, or auto (the simulator picks). */
function sizeOf(
  body: Record<string, unknown>,
  model: ActiveModel,
): Check<{ width: number; height: number; auto: boolean }> {
  const sizeText = typeof body.size === "string" ? body.size : "auto";
  if (sizeText === "auto") return { width: 1024, height: 1024, auto: true };
  const parsed = parseSize(sizeText);
  const report = validateSize(sizeText, model.id);
  // Gateway tier names are accepted only for models that list them, as the gateway does.
  const tierOk = parsed.kind === "dims" && parsed.tier !== undefined && model.tiers?.[parsed.tier] !== undefined;
  if (parsed.kind !== "dims" || !(/^\d+x\d+$/.test(sizeText) || tierOk) || !report.ok) {
    const grid = report.violations.some((v) => v.rule === "multiple_of_16");
    const reason = grid
      ? "Width and height must both be divisible by 16."
      : (report.violations[0]?.message ?? "Unsupported size.");
    return bad(`Invalid size '${sizeText}'. ${reason}`, "size", "invalid_value");
  }
  return { width: parsed.width, height: parsed.height, auto: false };
}

/** Quality, output format and compression, as the model offers them. */
function renderingOf(
  body: Record<string, unknown>,
  model: ActiveModel,
): Check<{ quality: Quality; format: OutputFormat; compression: number | undefined }> {
  const quality = (typeof body.quality === "string" ? body.quality : "auto") as Quality;
  if (model.qualities && !model.qualities.includes(quality)) {
    const values = model.qualities.map((q) => `'${q}'`).join(", ");
    return bad(`Invalid value: '${quality}'. Supported values are: ${values}.`, "quality", "invalid_value");
  }
  const format = (typeof body.output_format === "string" ? body.output_format : "png") as OutputFormat;
  if (!model.formats.includes(format)) {
    const values = model.formats.map((f) => `'${f}'`).join(", ");
    return bad(`Invalid value: '${format}'. Supported values are: ${values}.`, "output_format", "invalid_value");
  }
  if (body.output_compression === undefined || body.output_compression === null) {
    return { quality, format, compression: undefined };
  }
  const compression = Number(body.output_compression);
  if (format !== "jpeg" && format !== "webp") {
    return bad("output_compression is only supported for jpeg and webp output formats.", "output_compression");
  }
  if (!Number.isInteger(compression) || compression < 0 || compression > 100) {
    return bad("output_compression must be an integer between 0 and 100.", "output_compression", "invalid_value");
  }
  return { quality, format, compression };
}

/** Background, input_fidelity, complexity, n and the stream's partial images. */
function extrasOf(
  body: Record<string, unknown>,
  model: ActiveModel,
  format: OutputFormat,
): Check<Pick<SimRequest, "transparent" | "background" | "n" | "partialImages" | "stream">> {
  const background = typeof body.background === "string" ? body.background : "auto";
  const transparent = background === "transparent";
  if (transparent && (model.transparency === "unsupported" || model.transparency === "unknown")) {
    return bad("Transparent background is not supported for this model.", "background");
  }
  if (transparent && !model.transparentFormats.includes(format)) {
    return bad(`Transparent background requires output_format ${model.transparentFormats.join(" or ")}.`, "background");
  }
  if (body.markup !== undefined && !model.markup) return bad("markup is not supported for this model.", "markup");
  if (body.markup !== undefined && body.mask !== undefined) {
    return bad("markup cannot be combined with mask.", "markup");
  }
  if (body.input_fidelity !== undefined && model.inputFidelity === "omit") {
    return bad("input_fidelity is not supported for this model.", "input_fidelity");
  }
  const complexity = model.parameters?.find((p) => p.name === "complexity");
  if (body.complexity !== undefined && complexity && !complexity.values.includes(String(body.complexity))) {
    return bad(`Invalid value: '${String(body.complexity)}'.`, "complexity", "invalid_value");
  }
  const n = body.n === undefined ? 1 : Number(body.n);
  if (!Number.isInteger(n) || n < 1 || n > 10)
    return bad("n must be an integer between 1 and 10.", "n", "invalid_value");
  const partialImages = body.partial_images === undefined ? 0 : Number(body.partial_images);
  if (!Number.isInteger(partialImages) || partialImages < 0 || partialImages > 3) {
    return bad("partial_images must be an integer between 0 and 3.", "partial_images", "invalid_value");
  }
  const stream = body.stream === true || body.stream === "true";
  return { transparent, background, n, partialImages, stream };
}

/** A GIF's frames and delay (the API reference: 2-16 frames, default 9 of 200 ms; no stream, no mask). */
function animationOf(
  body: Record<string, unknown>,
  format: OutputFormat,
  extras: { stream: boolean; partialImages: number },
): Check<Pick<SimRequest, "frames" | "frameDurationMs">> {
  const given = (key: string) => body[key] !== undefined && body[key] !== null;
  if (format !== "gif") {
    for (const key of ["frame_count", "frame_duration_ms"]) {
      if (given(key)) return bad(`${key} is only supported with output_format gif.`, key);
    }
    return { frames: 1, frameDurationMs: 0 };
  }
  if (extras.stream || extras.partialImages > 0) {
    return bad("GIF output does not support streaming or partial images.", "output_format");
  }
  if (given("mask")) return bad("GIF output does not support masks.", "mask");
  const frames = given("frame_count") ? Number(body.frame_count) : 9;
  if (!Number.isInteger(frames) || frames < 2 || frames > 16) {
    return bad("frame_count must be an integer between 2 and 16.", "frame_count", "invalid_value");
  }
  const delay = given("frame_duration_ms") ? Number(body.frame_duration_ms) : 200;
  if (!Number.isInteger(delay) || delay < 0) {
    return bad("frame_duration_ms must be a non-negative integer.", "frame_duration_ms", "invalid_value");
  }
  // Rounded to 10 ms and capped at 655,350 ms, as the reference says the encoder does.
  return { frames, frameDurationMs: Math.min(655_350, Math.round(delay / 10) * 10) };
}

/** A request as the real Images API would judge it: the first thing it refuses, or what it will make. */
export function validateImageRequest(
  body: Record<string, unknown>,
  kind: "generation" | "edit",
): SimRequest | ApiErrorBody {
  const model = modelOf(body, kind);
  if (failed(model)) return model;
  const prompt = typeof body.prompt === "string" ? body.prompt : "";
  if (prompt.trim() === "") return bad("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter");
  if (prompt.length > 32_000)
    return bad("Prompt is too long: the maximum is 32000 characters.", "prompt", "string_above_max_length");
  const size = sizeOf(body, model);
  if (failed(size)) return size;
  const rendering = renderingOf(body, model);
  if (failed(rendering)) return rendering;
  const extras = extrasOf(body, model, rendering.format);
  if (failed(extras)) return extras;
  const animation = animationOf(body, rendering.format, extras);
  if (failed(animation)) return animation;
  return { model, prompt, ...size, ...rendering, ...extras, ...animation };
}
