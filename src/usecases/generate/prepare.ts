// Step one of a generation, before anything is sent: the request contract, the input files (jail, size, format,
// mask), and the key that makes identical requests share one job.

import { createHash } from "node:crypto";
import { basename } from "node:path";
import { mimeType, sniffImage } from "../../contract/formats.js";
import {
  type GenerateArgs,
  type ProfileLimits,
  type ValidatedRequest,
  validateGenerateRequest,
} from "../../contract/request.js";
import { InputError } from "../../errors.js";
import { rasterInfo } from "../../imaging/raster.js";
import type { InputFile } from "../../upstream/types.js";
import type { Workspace } from "../../workspace/workspace.js";

const MAX_REFERENCE_BYTES = 50 * 1024 * 1024;
const MAX_MASK_BYTES = 4 * 1024 * 1024;

export interface PreparedInputs {
  references: InputFile[];
  mask?: InputFile;
}

export interface PrepareDefaults {
  model: string;
  responsesModel: string;
  profile: ProfileLimits;
}

export interface PreparedGeneration {
  req: ValidatedRequest;
  inputs: PreparedInputs;
}

async function readReference(workspace: Workspace, requested: string, i: number, workspaceOnly: boolean) {
  const path = await workspace.resolveReadable(requested, `reference_images[${i}]`, workspaceOnly);
  const bytes = await workspace.readFile(path);
  if (bytes.length >= MAX_REFERENCE_BYTES) {
    throw new InputError(`reference_images[${i}] is ${(bytes.length / 1e6).toFixed(1)} MB; each must be under 50 MB.`);
  }
  const format = sniffImage(bytes);
  if (format !== "png" && format !== "jpeg" && format !== "webp") {
    throw new InputError(`reference_images[${i}] (${requested}) is not a PNG, JPEG or WebP image.`);
  }
  return { name: basename(path), bytes, mimeType: mimeType(format) };
}

async function readMask(workspace: Workspace, requested: string, first: InputFile, workspaceOnly: boolean) {
  const maskPath = await workspace.resolveReadable(requested, "mask", workspaceOnly);
  const bytes = await workspace.readFile(maskPath);
  if (bytes.length >= MAX_MASK_BYTES) {
    throw new InputError(`the mask is ${(bytes.length / 1e6).toFixed(1)} MB; it must be under 4 MB.`);
  }
  if (sniffImage(bytes) !== "png") throw new InputError("the mask must be a PNG file.");
  const mask = await rasterInfo(bytes);
  const image = await rasterInfo(first.bytes);
  if (!mask.hasAlpha) {
    throw new InputError("the mask has no alpha channel: make the areas to edit transparent in a PNG with alpha.");
  }
  if (mask.width !== image.width || mask.height !== image.height) {
    throw new InputError(
      `the mask is ${mask.width}x${mask.height} but the first reference image is ${image.width}x${image.height}; they must match.`,
    );
  }
  return { name: basename(maskPath), bytes, mimeType: "image/png" };
}

/** Reads and checks reference images and the mask before anything is sent: the jail, sizes, formats, alpha. */
export async function prepareInputs(
  req: ValidatedRequest,
  workspace: Workspace,
  workspaceOnly = false,
): Promise<PreparedInputs> {
  const references: InputFile[] = [];
  for (const [i, requested] of req.referenceImages.entries()) {
    references.push(await readReference(workspace, requested, i, workspaceOnly));
  }
  if (!req.mask) return { references };
  const mask = await readMask(workspace, req.mask, references[0] as InputFile, workspaceOnly);
  return { references, mask };
}

/** Everything that can be refused locally is refused here, before any network call. */
export async function prepareGeneration(
  args: GenerateArgs,
  defaults: PrepareDefaults,
  workspace: Workspace,
  workspaceOnly = false,
): Promise<PreparedGeneration> {
  const req = validateGenerateRequest(args, defaults);
  const inputs = await prepareInputs(req, workspace, workspaceOnly);
  return { req, inputs };
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
        req.prompt,
        filename ?? null,
        inputs.references.map((f) => sha256(f.bytes)),
        inputs.mask ? sha256(inputs.mask.bytes) : null,
      ]),
    )
    .digest("hex");
}
