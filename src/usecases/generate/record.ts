// The production record of SPEC section 7: one typed SidecarRecord beside each image and its manifest line, and one
// JobRecord per finished job (completed or failed) in jobs.jsonl. A record that cannot be written never loses the
// image: the failure is said next to it, in the result, and logged at error level (the caller may have left).

import { createHash } from "node:crypto";
import { basename } from "node:path";
import { recordRequested, type ValidatedRequest } from "../../contract/request.js";
import {
  type GenerationResult,
  type ImageReport,
  type JobRecord,
  RECORD_VERSION,
  type SidecarRecord,
} from "../../contract/schemas.js";
import { errorMessage } from "../../errors.js";
import type { Logger } from "../../log.js";
import type { Workspace } from "../../workspace/workspace.js";

/** The Responses answer and image call that made one image (null on the Images route or when not known). */
export interface ImageTurn {
  response_id: string | null;
  image_call_id: string | null;
}

const NO_TURN: ImageTurn = { response_id: null, image_call_id: null };

/** Where a saved image came from, beyond its result: the prompt, what was asked and how it was billed. */
export interface RecordOrigin {
  prompt: string;
  requested: SidecarRecord["requested"];
  expectedFormat: string;
  billingRoute: string;
  /** What the record says of partial images. */
  partialImages: string;
  /** A generated image: the Responses turn that made it and the image it edits. */
  generated?: { turn: ImageTurn; editOf: SidecarRecord["edit_of"] };
  /** An upscaled file: what it was made from and how (its paid cost stays on the record of what it was made from). */
  upscale?: NonNullable<SidecarRecord["upscale"]>;
}

/** The one builder of the production record: generated images and upscaled files alike. */
export function productionRecord(result: GenerationResult, image: ImageReport, origin: RecordOrigin): SidecarRecord {
  const { generated, upscale } = origin;
  return {
    record_version: RECORD_VERSION,
    created_at: new Date().toISOString(),
    job_id: result.job_id ?? "",
    file: basename(image.path),
    path: image.path,
    provider: result.provider,
    route: result.route,
    endpoint: result.endpoint,
    billing_route: origin.billingRoute,
    model: result.model,
    prompt: origin.prompt,
    prompt_sha256: createHash("sha256").update(origin.prompt).digest("hex"),
    requested: origin.requested,
    saved: {
      width: image.width,
      height: image.height,
      format: image.format,
      bytes: image.bytes,
      sha256: image.sha256,
      has_alpha: image.has_alpha,
    },
    expected_size: image.requested_size,
    expected_format: origin.expectedFormat,
    verified: image.verified,
    mismatch: image.mismatch,
    experimental: image.experimental,
    decision: image.decision,
    partial_images: origin.partialImages,
    revised_prompt: image.revised_prompt,
    responses_model: result.responses_model,
    response_ids: result.response_ids,
    ...(generated
      ? {
          response_id: generated.turn.response_id,
          image_call_id: generated.turn.image_call_id,
          edit_of: generated.editOf,
        }
      : {}),
    request_ids: result.request_ids,
    retries: result.retries,
    usage: result.usage,
    cost_estimate_usd: result.cost_estimate_usd,
    ...(upscale ? {} : { cost_usd: result.cost_usd }),
    elapsed_ms: result.elapsed_ms,
    ...(upscale ? { upscale } : {}),
    result,
  };
}

/** The record of a generated image. */
export function sidecarRecord(
  result: GenerationResult,
  image: ImageReport,
  req: ValidatedRequest,
  offline: boolean,
  turn: ImageTurn = NO_TURN,
): SidecarRecord {
  return productionRecord(result, image, {
    prompt: req.prompt,
    requested: recordRequested(req),
    expectedFormat: req.format,
    billingRoute: offline ? "none (offline simulator)" : `${result.provider} ${result.endpoint}`,
    partialImages:
      req.partialImages > 0 ? `${req.partialImages} streamed; previews removed when the job ended` : "none",
    generated: { turn, editOf: req.editOf },
  });
}

/** Writes every image's sidecar and manifest line; returns a sentence for each record that could not be written. */
export async function writeRecords(
  result: GenerationResult,
  req: ValidatedRequest,
  workspace: Workspace,
  options: { offline: boolean; logger: Logger; turns?: readonly ImageTurn[] },
): Promise<string[]> {
  const notes: string[] = [];
  const lost = (err: unknown, record: string, file: string) =>
    options.logger.error({ err, job: result.job_id, file, record }, "a record of a saved image could not be written");
  for (const [i, image] of result.images.entries()) {
    const record = sidecarRecord(result, image, req, options.offline, options.turns?.[i]);
    try {
      await workspace.writeSidecar(record.file, record);
    } catch (err) {
      lost(err, "sidecar", record.file);
      notes.push(
        `The production record (sidecar) of ${record.file} could not be written (${errorMessage(err)}); the image is saved and listed here.`,
      );
    }
    const { result: _full, ...line } = record;
    try {
      await workspace.appendManifest(line);
    } catch (err) {
      lost(err, "manifest", record.file);
      notes.push(`The manifest line of ${record.file} could not be written (${errorMessage(err)}).`);
    }
  }
  return notes;
}

/** What the job record adds to a result: how many attempts were made and how many may have been billed. */
export interface AttemptCount {
  attempts: number;
  mayHaveBeenBilled: number;
}

/** Appends the job's line to jobs.jsonl; returns a sentence when it could not be written. */
export async function writeJobRecord(
  result: GenerationResult,
  workspace: Workspace,
  count: AttemptCount,
  logger: Logger,
): Promise<string | null> {
  const record: JobRecord = {
    record_version: RECORD_VERSION,
    job_id: result.job_id ?? "",
    status: result.status === "completed" ? "completed" : "failed",
    finished_at: new Date().toISOString(),
    provider: result.provider,
    model: result.model,
    reason: result.failure?.reason ?? null,
    attempts: count.attempts,
    may_have_been_billed: count.mayHaveBeenBilled,
    cost_usd: result.cost_usd,
    cost_estimate_usd: result.cost_estimate_usd,
    files: result.images.map((i) => ({ path: i.path, sha256: i.sha256 })),
    result,
  };
  try {
    await workspace.appendJobRecord(record);
    return null;
  } catch (err) {
    logger.error(
      { err, job: result.job_id, status: record.status, may_have_been_billed: count.mayHaveBeenBilled },
      "the job record (jobs.jsonl) could not be written",
    );
    return `The job record (jobs.jsonl) could not be written (${errorMessage(err)}).`;
  }
}
