// What a collected batch leaves in the workspace: each answer's images saved, measured and judged under names fixed
// by the batch job and the item (a collection interrupted and run again finds them instead of saving a second set),
// a production record beside each image (at the batch price), and one line in jobs.jsonl for the batch — the record
// a later collection answers from, in any process.

import { BATCH_ENDPOINT } from "../../contract/batch.js";
import { extensionFor } from "../../contract/formats.js";
import { completedNext } from "../../contract/next.js";
import { recordRequested, requestedOf, type ValidatedRequest } from "../../contract/request.js";
import { generationResult, imageReport, NO_REQUEST } from "../../contract/results.js";
import {
  type BatchResult,
  type GenerationResult,
  type ImageReport,
  type JobRecord,
  RECORD_VERSION,
} from "../../contract/schemas.js";
import { expectedFrames, judge } from "../../contract/verdict.js";
import { errorMessage } from "../../errors.js";
import { measureSaved, sha256Of } from "../../imaging/inspect.js";
import type { Logger } from "../../log.js";
import type { Workspace } from "../../workspace/workspace.js";
import { productionRecord } from "../generate/record.js";
import { type DecodedImage, imageUri, saveAndMeasure } from "../generate/save.js";
import { batchResult } from "./results.js";

export interface KeepDeps {
  workspace: Workspace;
  logger: Logger;
  offline: boolean;
  provider: string;
}

/** An image an earlier, interrupted collection of the same answer saved: measured where it is. */
async function measureKept(path: string, image: DecodedImage, sha: string, req: ValidatedRequest) {
  const measured = await measureSaved(path, image.bytes, sha);
  const verdict = judge(measured, {
    width: req.width,
    height: req.height,
    format: req.format,
    frames: expectedFrames(req.format, req.frameCount),
  });
  const name = path.slice(path.lastIndexOf("/") + 1);
  return imageReport({ path, uri: imageUri(name) }, measured, req, verdict, image.revisedPrompt);
}

/**
 * Saves one answer's images as `<time>-<stem>-<job>-<item>[-<n>].<ext>` (the batch job's time): a name already
 * there holding these very bytes is the same image (kept, measured again); anything else gets a new name. A save
 * that fails is said in `problems`.
 */
export async function keepImages(
  decoded: DecodedImage[],
  where: { jobId: string; createdAt: number; index: number; stem: string; req: ValidatedRequest },
  deps: KeepDeps,
): Promise<{ images: ImageReport[]; problems: string[] }> {
  const { workspace } = deps;
  const tag = `${where.jobId.slice(-6)}-${where.index + 1}`;
  const base = workspace.fixedName(where.stem, tag, "x", new Date(where.createdAt)).slice(0, -2);
  const options = { workspace, req: where.req, base, count: decoded.length, warmPreview: false };
  const images: ImageReport[] = [];
  const problems: string[] = [];
  for (const [k, image] of decoded.entries()) {
    try {
      const name = `${base}${decoded.length > 1 ? `-${k + 1}` : ""}.${extensionFor(image.format)}`;
      const there = await workspace.readImage(name);
      const sha = sha256Of(image.bytes);
      const same = there !== null && sha256Of(there.bytes) === sha;
      const report = same
        ? await measureKept(workspace.pathOf(name), image, sha, where.req)
        : await saveAndMeasure(
            image,
            k,
            there ? { ...options, base: workspace.newName(base, "x").slice(0, -2) } : options,
          );
      images.push({ ...report, decision: "native" });
    } catch (err) {
      problems.push(`image ${k + 1} arrived (paid) but could not be saved: ${errorMessage(err)}`);
      deps.logger.error({ err, job: where.jobId, item: where.index }, "a paid batch image could not be saved");
    }
  }
  return { images, problems };
}

/**
 * The production record beside each image of an item, unless it has one (an earlier collection wrote it): the
 * item as a generation of its own, billed through the Batch API. Returns a sentence per record not written.
 */
export async function writeItemRecords(
  result: GenerationResult,
  req: ValidatedRequest,
  deps: KeepDeps,
): Promise<string[]> {
  const notes: string[] = [];
  for (const image of result.images) {
    try {
      if (await deps.workspace.readSidecar(image.path)) continue;
      const record = productionRecord(result, image, {
        prompt: req.prompt,
        requested: recordRequested(req),
        expectedFormat: req.format,
        billingRoute: deps.offline
          ? "none (offline simulator)"
          : `${deps.provider} /v1/batches (${BATCH_ENDPOINT} at the batch price)`,
        partialImages: "none",
        generated: { turn: { response_id: null, image_call_id: null }, editOf: null },
      });
      await deps.workspace.writeSidecar(record.file, record);
      const { result: _full, ...line } = record;
      await deps.workspace.appendManifest(line);
    } catch (err) {
      deps.logger.error(
        { err, job: result.job_id, file: image.path },
        "a record of a saved batch image could not be written",
      );
      notes.push(`The production record of ${image.path} could not be written (${errorMessage(err)}).`);
    }
  }
  return notes;
}

/** One item as a generation result: what its sidecars keep. */
export function itemGeneration(
  fields: { jobId: string; provider: string; req: ValidatedRequest },
  images: ImageReport[],
  extra: Partial<GenerationResult>,
): GenerationResult {
  const { req } = fields;
  const identity = {
    job_id: fields.jobId,
    provider: fields.provider,
    route: "images" as const,
    endpoint: BATCH_ENDPOINT,
    model: req.model.id,
    requested: requestedOf(req),
  };
  const result = generationResult("completed", identity, { images, ...extra });
  return { ...result, next: completedNext(result) };
}

/** The batch's line in jobs.jsonl: its sum as a generation result, and the batch with every item. */
export async function writeBatchRecord(
  result: BatchResult,
  deps: KeepDeps,
  mayHaveBeenBilled: number,
): Promise<string | null> {
  const status = result.status === "completed" ? "completed" : "failed";
  const models = [...new Set(result.batch.items.map((i) => i.model))].join(", ");
  const who = { job_id: result.job_id, provider: result.provider, route: "images" as const, endpoint: "/v1/batches" };
  const summary = generationResult(
    status,
    { ...who, model: models, requested: NO_REQUEST },
    {
      images: result.images,
      caveats: result.caveats,
      message: result.message,
      next: result.next,
      cost_estimate_usd: result.cost_estimate_usd,
      cost_usd: result.cost_usd,
      elapsed_ms: result.elapsed_ms,
    },
  );
  const record: JobRecord = {
    record_version: RECORD_VERSION,
    job_id: result.job_id ?? "",
    status,
    finished_at: new Date().toISOString(),
    provider: result.provider,
    model: models,
    reason: status === "failed" ? result.message : null,
    attempts: 1,
    may_have_been_billed: mayHaveBeenBilled,
    cost_usd: result.cost_usd,
    cost_estimate_usd: result.cost_estimate_usd,
    files: result.images.map((i) => ({ path: i.path, sha256: i.sha256 })),
    result: summary,
    batch: result.batch,
  };
  try {
    await deps.workspace.appendJobRecord(record);
    return null;
  } catch (err) {
    deps.logger.error({ err, job: result.job_id }, "the batch's job record (jobs.jsonl) could not be written");
    return `The job record (jobs.jsonl) could not be written (${errorMessage(err)}).`;
  }
}

/** The batch as its collection recorded it (a batch that was created and collected), or null. */
export async function recordedBatch(workspace: Workspace, jobId: string): Promise<BatchResult | null> {
  const records = await workspace.readJobRecords();
  const record = records.findLast((r) => r.job_id === jobId && r.batch?.batch_id);
  if (!record?.batch) return null;
  const { result } = record;
  return batchResult(record.status, { job_id: jobId, provider: record.provider }, record.batch, {
    images: result.images,
    caveats: result.caveats,
    message: result.message,
    next: result.next,
    cost_estimate_usd: record.cost_estimate_usd,
    cost_usd: record.cost_usd,
    elapsed_ms: result.elapsed_ms,
  });
}
