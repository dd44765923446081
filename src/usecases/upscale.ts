// upscale_image, and the one way any use-case makes an upscaled file: enlarge a source to an exact size with sharp,
// save it as <stem>.upscaled-<W>x<H>.<ext> atomically, measure and judge the saved file, and record where it came from.

import { basename, extname } from "node:path";
import { extensionFor } from "../contract/formats.js";
import { type ActiveModel, lookupModel, MODELS } from "../contract/models.js";
import { generationResult, imageReport } from "../contract/results.js";
import type { GenerationResult, ImageReport, MeasuredFile, SidecarRecord, UpscaleResult } from "../contract/schemas.js";
import { formatSize, parseSize, validateSize } from "../contract/sizes.js";
import {
  DEFAULT_UPSCALE_METHOD,
  INTERPOLATION,
  sameShapeSize,
  type UpscaleMethod,
  upscaleFactor,
  upscaleRefusal,
} from "../contract/upscale.js";
import { judge } from "../contract/verdict.js";
import { InputError, NotAnImageError } from "../errors.js";
import { admitImage, HEADER_BYTES } from "../imaging/admit.js";
import { measureBuffer, measureFile, measureSaved, sha256Of } from "../imaging/inspect.js";
import { warmPreview } from "../imaging/preview.js";
import { upscaleImage } from "../imaging/upscale.js";
import type { OpenedFile } from "../workspace/files.js";
import type { ReadAccess, Workspace } from "../workspace/workspace.js";
import { productionRecord } from "./generate/record.js";
import { imageUri } from "./generate/save.js";

const MAX_SOURCE_BYTES = 100 * 1024 * 1024;

export interface UpscaleSource {
  path: string;
  /** Its bytes, or a path that names the opened file itself (read by libvips, never held whole in memory). */
  input: Buffer | string;
  measured: MeasuredFile;
  /** How the caller named it, for a sentence about pixels that cannot be decoded ("path 'x.png'"). */
  what?: string;
  /** For a source read by path: whether nothing has written to it since it was hashed. */
  unchanged?: () => Promise<boolean>;
}

export interface UpscaleInfo {
  source_path: string;
  source_sha256: string;
  source_width: number;
  source_height: number;
  method: UpscaleMethod;
  interpolation: string;
  factor: number;
}

export interface UpscaledFile {
  report: ImageReport;
  info: UpscaleInfo;
  reused: boolean;
}

function stemOf(path: string): string {
  return basename(path, extname(path)).replace(/^\.+/, "") || "image";
}

/** An earlier upscale of the same source bytes with the same method, at this name: reused (idempotent). */
async function earlier(workspace: Workspace, name: string, info: UpscaleInfo): Promise<MeasuredFile | null> {
  const path = await workspace.imagePath(name);
  if (!path) return null;
  const record = await workspace.readSidecar(path);
  const same = record?.upscale?.source_sha256 === info.source_sha256 && record.upscale.method === info.method;
  if (!same) return null;
  const saved = await workspace.readImage(name);
  if (!saved) return null;
  const measured = await measureBuffer(saved.bytes);
  return measured.sha256 === record.saved.sha256 ? measured : null;
}

/** Enlarges a source to `target`, saves it beside the workspace's images, measures and judges the saved file. */
export async function upscaleSaved(
  workspace: Workspace,
  source: UpscaleSource,
  target: { width: number; height: number },
  options: { method?: UpscaleMethod; decision: string; warmPreview?: boolean },
): Promise<UpscaledFile> {
  const method = options.method ?? DEFAULT_UPSCALE_METHOD;
  const { measured } = source;
  const info: UpscaleInfo = {
    source_path: source.path,
    source_sha256: measured.sha256,
    source_width: measured.width,
    source_height: measured.height,
    method,
    interpolation: INTERPOLATION[method],
    factor: upscaleFactor(measured, target),
  };
  const ext = extensionFor(measured.format);
  let name = `${stemOf(source.path)}.upscaled-${formatSize(target.width, target.height)}.${ext}`;
  const reusable = await earlier(workspace, name, info);
  let measuredOut: MeasuredFile;
  let path: string;
  if (reusable) {
    measuredOut = reusable;
    path = workspace.pathOf(name);
  } else {
    if (await workspace.imagePath(name)) name = workspace.newName(`${stemOf(source.path)}-upscaled`, ext);
    const out = await upscaleImage(source.input, target, method, source.what ?? `the source ${source.path}`);
    if (source.unchanged && !(await source.unchanged())) {
      throw new InputError(
        `${source.path} changed while it was being upscaled: nothing was saved. Try again once nothing writes to it.`,
        "path",
      );
    }
    // The preview is made from the source's pixels, sized as the saved file's would be (an enlargement adds nothing a
    // 1024 px preview can show), while the file is written and measured: the 4K output is never decoded again.
    const preview = options.warmPreview
      ? warmPreview(workspace.pathOf(name), source.input, out.hasAlpha, target)
      : null;
    const writing = workspace.save(name, out.bytes);
    const sha = sha256Of(out.bytes);
    path = (await writing).path;
    measuredOut = await measureSaved(path, out.bytes, sha);
    await preview; // a source read by path is readable only until its caller closes it
  }
  const verdict = judge(measuredOut, { ...target, format: measured.format });
  const report: ImageReport = {
    ...imageReport({ path, uri: imageUri(name) }, measuredOut, target, verdict),
    upscaled: true,
    decision: options.decision,
    master: { path: source.path, width: measured.width, height: measured.height },
  };
  return { report, info, reused: reusable !== null };
}

/** The production record of an upscaled file: the generation record (one builder), with where it came from. */
export function upscaleRecord(
  report: ImageReport,
  info: UpscaleInfo,
  base: { prompt: string; created: GenerationResult },
): SidecarRecord {
  const result = base.created;
  return productionRecord(result, report, {
    prompt: base.prompt,
    requested: { ...result.requested, size: report.requested_size ?? "", partial_images: 0 },
    expectedFormat: report.format,
    billingRoute: "none (local upscale)",
    partialImages: "none",
    upscale: info,
  });
}

/** Writes an upscaled file's sidecar and manifest line. */
export async function writeUpscaleRecord(workspace: Workspace, record: SidecarRecord): Promise<void> {
  await workspace.writeSidecar(record.file, record);
  const { result: _full, ...line } = record;
  await workspace.appendManifest(line);
}

function modelFor(name: string): ActiveModel {
  const lookup = lookupModel(name);
  if (lookup.kind === "known" && lookup.spec.status === "active") return lookup.spec;
  return [...MODELS.values()].find((m): m is ActiveModel => m.status === "active") as ActiveModel;
}

/** The target size, refused with one sentence when it is unreadable or auto. */
function parseTarget(size: string): { width: number; height: number } {
  const parsed = parseSize(size);
  if (parsed.kind === "error") throw new InputError(`size: ${parsed.message}`, "size");
  if (parsed.kind === "auto") {
    throw new InputError("size auto cannot be upscaled to: give the final WIDTHxHEIGHT, e.g. 3840x2160.", "size");
  }
  return { width: parsed.width, height: parsed.height };
}

/** A final size must be one the model could have made: refused with the nearest valid size of the source's shape. */
function checkContract(target: { width: number; height: number }, source: MeasuredFile, model: ActiveModel): void {
  const report = validateSize(formatSize(target.width, target.height), model.id);
  if (report.ok) return;
  const alternative = sameShapeSize(source, target, model.sizes);
  const hint = alternative
    ? ` The nearest valid size of this image's shape is ${formatSize(alternative.width, alternative.height)}.`
    : "";
  throw new InputError(
    `${formatSize(target.width, target.height)} is outside ${model.id}'s size contract: ${report.violations.map((v) => v.message).join(" ")}${hint}`,
    "size",
  );
}

/**
 * Opens the source once (jail, size cap), admits it from its header and reads it whole from the same descriptor. Its
 * pixels are decoded once, by the upscale itself: a truncated file is refused before anything is saved.
 */
/** Opens the source once (jail, size cap) and admits it from its header; the caller closes it. */
async function openSource(workspace: Workspace, requested: string, workspaceOnly: ReadAccess) {
  const file = await workspace.open(requested, "path", { workspaceOnly, maxBytes: MAX_SOURCE_BYTES });
  try {
    const head = await file.head(HEADER_BYTES);
    admitImage(head, `path '${requested}'`);
    return { file, head };
  } catch (err) {
    await file.close();
    throw new NotAnImageError(
      `${file.path} is not an image upscale_image can read (${(err as Error).message}): give a PNG, JPEG or WebP file.`,
      "path",
      { cause: err },
    );
  }
}

/**
 * Measures the opened source and says how the upscale reads it: by the descriptor's own path where the system has
 * one (libvips streams it; its sha256 is read from the same descriptor in pieces), else as bytes read once. Its pixels
 * are decoded once, by the upscale itself: a truncated file is refused before anything is saved.
 */
async function measureOpened(file: OpenedFile, head: Buffer, requested: string) {
  const what = `path '${requested}'`;
  try {
    if (file.descriptorPath) {
      const read = { bytes: file.size, sha256: await file.sha256() };
      return { input: file.descriptorPath, measured: await measureFile(file.descriptorPath, head, read, what) };
    }
    const bytes = await file.readAll();
    return { input: bytes, measured: await measureBuffer(bytes, what) };
  } catch (err) {
    throw new NotAnImageError(
      `${file.path} is not an image upscale_image can read (${(err as Error).message}): give a PNG, JPEG or WebP file.`,
      "path",
      { cause: err },
    );
  }
}

export interface UpscaleRequest {
  path: string;
  size: string;
  method?: UpscaleMethod | undefined;
  workspaceOnly?: ReadAccess;
  /** The caller will show the default preview: make it from the pixels in hand, not from the saved file. */
  warmPreview?: boolean;
}

/** The refusals, then the upscale of an opened source (still open: the caller closes it). */
async function upscaleOpened(
  workspace: Workspace,
  request: UpscaleRequest,
  file: OpenedFile,
  head: Buffer,
  defaults: { model: string },
) {
  const path = file.path;
  const { input, measured } = await measureOpened(file, head, request.path);
  if (measured.format === "gif") {
    throw new NotAnImageError(`${path} is a GIF: upscale_image reads PNG, JPEG and WebP files.`, "path");
  }
  const record = await workspace.readSidecar(path);
  const model = modelFor(record?.model ?? defaults.model);
  const target = parseTarget(request.size);
  const refusal = upscaleRefusal(measured, target);
  if (refusal) {
    const alternative = refusal.kind === "aspect" ? sameShapeSize(measured, target, model.sizes) : null;
    const hint = alternative
      ? ` Use ${formatSize(alternative.width, alternative.height)}, the nearest valid size of the source's shape.`
      : "";
    throw new InputError(`${refusal.message.charAt(0).toUpperCase()}${refusal.message.slice(1)}${hint}`, "size");
  }
  checkContract(target, measured, model);
  const decision = "master+upscale";
  const source: UpscaleSource = { path, input, measured, what: `path '${request.path}'`, unchanged: file.unchanged };
  const made = await upscaleSaved(workspace, source, target, {
    method: request.method ?? DEFAULT_UPSCALE_METHOD,
    decision,
    warmPreview: request.warmPreview ?? false,
  });
  return { made, measured, record, model, target, decision };
}

/** upscale_image: enlarge an existing image (an approved master) to a valid final size. Local and free. */
export async function upscaleExisting(
  workspace: Workspace,
  request: UpscaleRequest,
  defaults: { model: string },
): Promise<UpscaleResult> {
  const started = Date.now();
  const { file, head } = await openSource(workspace, request.path, request.workspaceOnly ?? false);
  let opened: Awaited<ReturnType<typeof upscaleOpened>>;
  try {
    opened = await upscaleOpened(workspace, request, file, head, defaults);
  } finally {
    await file.close();
  }
  const { made, measured, record, model, target, decision } = opened;
  const path = file.path;
  const caveats: string[] = [];
  if (made.info.method === "lanczos3") {
    caveats.push(
      "sharp enlarges with bicubic interpolation (its Lanczos kernel shapes reductions only); recorded as such.",
    );
  }
  if (!made.reused) {
    const created = generationResult(
      "completed",
      {
        job_id: record?.job_id ?? "",
        provider: "local",
        route: "images",
        endpoint: "local upscale (sharp)",
        model: model.id,
        requested: {
          size: formatSize(target.width, target.height),
          quality: record?.requested.quality ?? "",
          output_format: measured.format,
          background: null,
          n: 1,
        },
      },
      { images: [made.report], decision, cost_estimate_usd: 0, elapsed_ms: Date.now() - started },
    );
    await writeUpscaleRecord(
      workspace,
      upscaleRecord(made.report, made.info, { prompt: record?.prompt ?? "", created }),
    );
  } else {
    caveats.push("The same upscale of the same source already existed: it was measured again, not redone.");
  }
  return {
    status: made.report.verified ? "verified" : "mismatch",
    image: made.report,
    source: { ...measured, path },
    method: made.info.method,
    interpolation: made.info.interpolation,
    factor: made.info.factor,
    decision,
    reused: made.reused,
    elapsed_ms: Date.now() - started,
    caveats,
  };
}
