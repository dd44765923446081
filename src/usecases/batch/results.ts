// A batch as a result, in every state: a dry run, a batch job read from the book (queued, sending, sent, lost,
// cancelled), and a collected batch. Only builders: what they say comes from the book and the records.

import { BATCH_ENDPOINT, BATCH_WINDOW, batchCounts, sumUsd } from "../../contract/batch.js";
import { BATCH_DISCOUNT } from "../../contract/prices.js";
import type { BatchItem, BatchReport, BatchResult, GenerationStatus } from "../../contract/schemas.js";
import { type BookJob, RUNNER_LOST } from "../../jobs/book.js";
import { MAX_WAIT_SECONDS, progressMessage } from "../wait.js";
import { parseBatchRequest, parseBatchResult } from "./payload.js";

export interface BatchView {
  provider: string;
  offline: boolean;
}

export const OFFLINE_CAVEAT = "Offline simulator: no model is called.";

/** The batch part of a result: the Batch API's id and status, and every item with the counts. */
export function batchReport(items: BatchItem[], batch: { id: string | null; status: string | null }): BatchReport {
  return {
    batch_id: batch.id,
    batch_status: batch.status,
    endpoint: BATCH_ENDPOINT,
    completion_window: BATCH_WINDOW,
    discount: BATCH_DISCOUNT.factor,
    counts: batchCounts(items),
    items,
  };
}

/** The one builder of a batch result. */
export function batchResult(
  status: GenerationStatus,
  who: { job_id: string | null; provider: string },
  batch: BatchReport,
  fields: Partial<Omit<BatchResult, "status" | "job_id" | "provider" | "batch">> = {},
): BatchResult {
  return {
    status,
    ...who,
    batch,
    images: [],
    caveats: [],
    message: null,
    next: null,
    cost_estimate_usd: sumUsd(batch.items.map((i) => i.cost_estimate_usd)),
    cost_usd: null,
    elapsed_ms: 0,
    reused_job: false,
    dry_run: false,
    ...fields,
  };
}

/** How to collect a batch that is still running. */
export function collectNext(jobId: string): string {
  return `Call verify_image with job_id "${jobId}" (wait_seconds up to ${MAX_WAIT_SECONDS}) to collect it: the Batch API answers within 24 h. Do not call generate_batch again: an identical request returns this job, and a new one would pay twice.`;
}

/** What a batch job says from the book alone (no upstream call): sent and waiting, or how it ended before that. */
export function batchSnapshot(job: BookJob, view: BatchView): BatchResult {
  const kept = parseBatchResult(job.result);
  if (kept && (job.status === "completed" || job.status === "failed")) return kept;
  const items = parseBatchRequest(job.request)?.items ?? [];
  const who = { job_id: job.id, provider: view.provider };
  const caveats = view.offline ? [OFFLINE_CAVEAT] : [];
  const elapsed_ms = (job.finishedAt ?? Date.now()) - job.createdAt;
  const report = batchReport(items, { id: null, status: null });
  if (job.status === "failed" && job.lost) {
    return batchResult("failed", who, report, {
      caveats,
      elapsed_ms,
      message: `${RUNNER_LOST}: the batch may have been created (its metadata names pixelwright_job ${job.id}) and may be billed; it is not sent again.`,
      next: "Look for the batch in the provider's dashboard before sending these items again.",
    });
  }
  if (job.status === "cancelled") {
    return batchResult("failed", who, report, {
      caveats,
      elapsed_ms,
      message: `the batch job was cancelled before the batch was created (${job.endReason ?? "cancelled"}); nothing was paid.`,
      next: "Call generate_batch again to start over.",
    });
  }
  if (job.status === "failed" || job.status === "completed") {
    return batchResult("failed", who, report, { caveats, elapsed_ms, message: job.endReason ?? "the batch job ended" });
  }
  return batchResult("running", who, report, {
    caveats,
    elapsed_ms,
    message: progressMessage(job),
    next: collectNext(job.id),
  });
}
