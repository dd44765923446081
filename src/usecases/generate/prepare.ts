// Step one of a generation, before anything is sent: the request contract, the input files (jail, size, format,
// mask), and the key that makes identical requests share one job.

import { createHash } from "node:crypto";
import { basename } from "node:path";
import { editSize } from "../../contract/edit-size.js";
import { mimeType } from "../../contract/formats.js";
import {
  type GenerateArgs,
  type ProfileLimits,
  type ValidatedRequest,
  validateGenerateRequest,
  withInputImages,
} from "../../contract/request.js";
import type { EditOf } from "../../contract/schemas.js";
import { InputError } from "../../errors.js";
import { admitImage, declaredSize, describeBytes, HEADER_BYTES } from "../../imaging/admit.js";
import { decodeWhole } from "../../imaging/inspect.js";
import { rasterInfo, transparencyOf } from "../../imaging/raster.js";
import type { InputFile } from "../../upstream/types.js";
import { formatBytes, type OpenedFile, type ReadAccess } from "../../workspace/files.js";
import type { Workspace } from "../../workspace/workspace.js";
import { resolveEditOf } from "./edit-of.js";

/** Per-file caps (the API's own: each reference under 50 MB, the mask under 4 MB) and one per request. */
export const MAX_REFERENCE_BYTES = 50 * 1024 * 1024;
export const MAX_MASK_BYTES = 4 * 1024 * 1024;
export const MAX_REQUEST_INPUT_BYTES = 256 * 1024 * 1024;

export interface PreparedInputs {
  /** In a dry run the bytes are empty: only the headers were read. */
  references: InputFile[];
  mask?: InputFile;
  markup?: InputFile;
  /** The dimensions of every input image sent (references, then the mask or markup): billed as image input. */
  dims: { width: number; height: number }[];
}

export interface PrepareDefaults {
  model: string;
  responsesModel: string;
  profile: ProfileLimits;
}

export interface PreparedGeneration {
  req: ValidatedRequest;
  inputs: PreparedInputs;
  /** Responses route: a follow-up turn of the answer that made the edited image (edit_of). */
  followUp?: { previousResponseId: string } | undefined;
}

export interface PrepareOptions {
  workspaceOnly?: ReadAccess | undefined;
  /** A dry run: check every file from its size and header, read no file whole. */
  headersOnly?: boolean | undefined;
  /**
   * An edit_of the caller already resolved (a queued job: its source is already the first of the staged
   * reference images, or its follow-up turn is named here), so the worker does not look it up again.
   */
  resolvedEdit?: { editOf: EditOf; followUp: { previousResponseId: string } | null } | null | undefined;
}

interface OpenedInput {
  file: OpenedFile;
  what: string;
  requested: string;
}

/** The PNG that guides an edit of the first reference image: a mask (where to edit) or markup (what to draw). */
function guideOf(req: ValidatedRequest): { what: "mask" | "markup"; path: string } | null {
  if (req.mask) return { what: "mask", path: req.mask };
  return req.markup ? { what: "markup", path: req.markup } : null;
}

const isGuide = (what: string) => what === "mask" || what === "markup";

/** Opens every input once (jail, per-file cap from fstat), then checks the total before a byte is read. */
async function openAll(req: ValidatedRequest, workspace: Workspace, workspaceOnly: ReadAccess): Promise<OpenedInput[]> {
  const wanted = req.referenceImages.map((requested, i) => ({
    requested,
    what: `reference_images[${i}]`,
    maxBytes: MAX_REFERENCE_BYTES,
  }));
  const guide = guideOf(req);
  if (guide) {
    const maxBytes = guide.what === "mask" ? MAX_MASK_BYTES : MAX_REFERENCE_BYTES;
    wanted.push({ requested: guide.path, what: guide.what, maxBytes });
  }
  const opened: OpenedInput[] = [];
  try {
    for (const w of wanted) {
      const file = await workspace.open(w.requested, w.what, { workspaceOnly, maxBytes: w.maxBytes });
      opened.push({ file, what: w.what, requested: w.requested });
    }
    const total = opened.reduce((sum, o) => sum + o.file.size, 0);
    if (total > MAX_REQUEST_INPUT_BYTES) {
      throw new InputError(
        `the input files add up to ${formatBytes(total)}; one request may send at most ${formatBytes(MAX_REQUEST_INPUT_BYTES)}. Use fewer or smaller reference images.`,
        "reference_images",
      );
    }
    return opened;
  } catch (err) {
    await Promise.all(opened.map((o) => o.file.close().catch(() => {})));
    throw err;
  }
}

/** Checks one opened input from its header; reads it whole unless only headers are wanted. */
async function admitInput(
  input: OpenedInput,
  headersOnly: boolean,
): Promise<{ file: InputFile; width: number; height: number }> {
  const { file, what, requested } = input;
  const head = await file.head(HEADER_BYTES);
  if (!isGuide(what) && !declaredSize(head)) {
    throw new InputError(`${what} (${requested}) is not a PNG, JPEG or WebP image: ${describeBytes(head)}.`, what);
  }
  const declared = admitImage(head, `${what} '${requested}'`);
  const allowed = isGuide(what) ? ["png"] : ["png", "jpeg", "webp"];
  if (!allowed.includes(declared.format)) {
    throw new InputError(
      isGuide(what)
        ? `the ${what} must be a PNG file.`
        : `${what} (${requested}) is a ${declared.format.toUpperCase()}; reference images must be PNG, JPEG or WebP.`,
      what,
    );
  }
  // A mask or markup is checked by its pixels (alpha, transparency): it is always read whole.
  const bytes = headersOnly && !isGuide(what) ? Buffer.alloc(0) : await file.readAll();
  // What is read is sent: decoded once first, so a truncated file is refused here, not paid for upstream. A mask or
  // markup is decoded by checkGuide, once its size is known to match (a large one of the wrong size is never decoded).
  if (bytes.length > 0 && !isGuide(what)) await decodeWhole(bytes, `${what} '${requested}'`);
  return {
    file: { name: basename(file.path), bytes, mimeType: mimeType(declared.format) },
    width: declared.width,
    height: declared.height,
  };
}

/** A mask or markup: the first reference image's size (from the headers), decodable, and transparent as it must be. */
async function checkGuide(
  what: "mask" | "markup",
  guide: { file: InputFile; width: number; height: number },
  first: { width: number; height: number },
) {
  if (guide.width !== first.width || guide.height !== first.height) {
    throw new InputError(
      `the ${what} is ${guide.width}x${guide.height} but the first reference image is ${first.width}x${first.height}; they must match.`,
      what,
    );
  }
  await decodeWhole(guide.file.bytes, `the ${what} '${guide.file.name}'`);
  if (what === "mask" && !(await rasterInfo(guide.file.bytes)).hasAlpha) {
    throw new InputError("the mask has no alpha channel: make the areas to edit transparent in a PNG with alpha.");
  }
  if (what === "markup") {
    const coverage = await transparencyOf(guide.file.bytes);
    if (coverage !== "partly") {
      throw new InputError(
        coverage === "opaque"
          ? "the markup has no transparent pixels: draw the guide on a transparent PNG (what is not drawn stays transparent)."
          : "the markup is fully transparent: nothing is drawn on it to guide the edit. Draw the guide, or leave markup out.",
        "markup",
      );
    }
  }
}

/**
 * Opens and checks reference images and the mask before anything is sent: the jail, sizes (from fstat, per file
 * and per request, before reading), formats and dimensions (from headers), the mask's alpha. Each file is opened
 * once; what is sent upstream is exactly what was checked.
 */
export async function prepareInputs(
  req: ValidatedRequest,
  workspace: Workspace,
  options: PrepareOptions = {},
): Promise<PreparedInputs> {
  const guided = guideOf(req);
  if (req.referenceImages.length === 0 && !guided) return { references: [], dims: [] };
  const opened = await openAll(req, workspace, options.workspaceOnly ?? false);
  try {
    const admitted = [];
    for (const input of opened) admitted.push(await admitInput(input, options.headersOnly ?? false));
    const dims = admitted.map((a) => ({ width: a.width, height: a.height }));
    const guide = guided ? admitted.pop() : undefined;
    const references = admitted.map((a) => a.file);
    if (!guided || !guide) return { references, dims };
    if (admitted[0]) await checkGuide(guided.what, guide, admitted[0]);
    return { references, [guided.what]: { ...guide.file, mimeType: "image/png" }, dims };
  } finally {
    await Promise.all(opened.map((o) => o.file.close().catch(() => {})));
  }
}

/**
 * Everything that can be refused locally is refused here, before any network call. An edit_of source is resolved
 * first (it becomes the first reference image, or a follow-up turn); the estimate is priced again with the
 * dimensions of every input image, since input images are billed.
 */
export async function prepareGeneration(
  args: GenerateArgs,
  defaults: PrepareDefaults,
  workspace: Workspace,
  options: PrepareOptions = {},
): Promise<PreparedGeneration> {
  const route = args.route ?? "images";
  const edit = options.resolvedEdit
    ? { ...options.resolvedEdit, reference: null }
    : args.edit_of
      ? await resolveEditOf(args.edit_of, route, workspace, options.workspaceOnly ?? false)
      : null;
  const effective = edit?.reference
    ? { ...args, reference_images: [edit.reference, ...(args.reference_images ?? [])] }
    : args;
  // An edit with no size keeps its source's shape: its size, or the nearest valid size of that shape.
  const kept = edit && !args.size?.trim() ? editSize(edit.editOf, args.model?.trim() || defaults.model) : null;
  const checked = validateGenerateRequest(effective, kept ? { ...defaults, size: kept.size } : defaults);
  const validated = kept ? { ...checked, caveats: [...checked.caveats, kept.caveat] } : checked;
  const inputs = await prepareInputs(validated, workspace, options);
  // A follow-up turn shows the model the earlier image: it is billed as an input image too.
  const earlier = edit?.followUp ? [{ width: edit.editOf.width, height: edit.editOf.height }] : [];
  const req = withInputImages({ ...validated, editOf: edit?.editOf ?? null }, [...earlier, ...inputs.dims]);
  return edit?.followUp ? { req, inputs, followUp: edit.followUp } : { req, inputs };
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** Identical requests (same normalized arguments and input bytes) get the same key, and so share one job. */
export function dedupeKey(provider: string, prepared: PreparedGeneration, filename: string | undefined): string {
  const { req, inputs } = prepared;
  return createHash("sha256")
    .update(
      JSON.stringify([
        provider,
        req.route,
        req.route === "responses" ? req.responsesModel : null,
        req.model.id,
        req.wireSize,
        req.quality,
        req.format,
        req.compression,
        req.background,
        req.n,
        req.partialImages,
        req.moderation,
        req.inputFidelity,
        req.complexity ?? null,
        prepared.followUp?.previousResponseId ?? null,
        req.prompt,
        filename ?? null,
        inputs.references.map((f) => sha256(f.bytes)),
        inputs.mask ? sha256(inputs.mask.bytes) : null,
        ...(inputs.markup ? [`markup:${sha256(inputs.markup.bytes)}`] : []),
        // Only a GIF's frames are added, so the key of every other request stays what it was.
        ...(req.frameCount !== undefined || req.frameDurationMs !== undefined
          ? [req.frameCount ?? null, req.frameDurationMs ?? null]
          : []),
      ]),
    )
    .digest("hex");
}
