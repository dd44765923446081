// A worker sends a batch job (whichever process runs it): its items prepared again from the workspace alone, the
// request file uploaded (free), then the batch created — the paid step, marked sent in the book before it goes out
// and sent once. A batch that was not created frees its reservation; one whose creation is unknown keeps it.

import { BATCH_ENDPOINT, BATCH_WINDOW } from "../../contract/batch.js";
import type { BatchItem, BatchResult } from "../../contract/schemas.js";
import { AbortedError, asPixelwrightError, JobFailedError, UpstreamError } from "../../errors.js";
import type { BookJob } from "../../jobs/book.js";
import type { JobContext } from "../../jobs/worker.js";
import type { BatchInfo } from "../../upstream/batch-api.js";
import type { CollectDeps } from "./collect.js";
import { pendingItem, prepareItems, requestLine } from "./items.js";
import { writeBatchRecord } from "./keep.js";
import { type BatchPayload, parseBatchPayload } from "./payload.js";
import { batchReport, batchResult, collectNext, OFFLINE_CAVEAT } from "./results.js";

/** The ledger entry of the batch: what came of its creation. */
async function charge(job: BookJob, payload: BatchPayload, deps: CollectDeps, billed: "no" | "unknown") {
  const id = payload.admitted[0];
  if (!deps.spend || id === undefined) return;
  const step = await deps.spend.step(job.id, { step: "the batch", usdPerCall: null, images: 1, admitted: id });
  await (billed === "no" ? step.notBilled() : step.unknown());
}

/** The batch was not created (or may have been): a failed result, recorded once the create was attempted. */
async function notCreated(
  job: BookJob,
  payload: BatchPayload,
  items: BatchItem[],
  err: unknown,
  sent: boolean,
  deps: CollectDeps,
): Promise<JobFailedError> {
  const typed = asPixelwrightError(err);
  const unknown =
    sent &&
    (typed instanceof AbortedError || (typed instanceof UpstreamError && typed.details.mayHaveBeenBilled === true));
  await charge(job, payload, deps, unknown ? "unknown" : "no");
  const reason = typed.message.replace(/\.$/, "");
  const message = unknown
    ? `${reason}: the batch may have been created (its metadata names pixelwright_job ${job.id}) and may be billed; it is not sent again.`
    : `${reason}; the batch was not created and nothing was paid.`;
  const result = batchResult(
    "failed",
    { job_id: job.id, provider: deps.provider },
    batchReport(items, { id: null, status: null }),
    {
      caveats: deps.offline ? [OFFLINE_CAVEAT] : [],
      message,
      next: unknown
        ? "Look for the batch in the provider's dashboard before sending these items again."
        : "Fix what the message names, then call generate_batch again.",
      elapsed_ms: Date.now() - job.createdAt,
    },
  );
  if (sent) {
    const note = await writeBatchRecord(result, deps, unknown ? 1 : 0);
    if (note) result.caveats.push(note);
  }
  const details = typed instanceof UpstreamError ? typed.details : { retryable: false };
  return new JobFailedError(message, { ...details, mayHaveBeenBilled: unknown }, result, { cause: err });
}

/** Uploads the request file and creates the batch; answers with the batch as created (running). */
export async function sendBatch(job: BookJob, ctx: JobContext, deps: CollectDeps): Promise<BatchResult> {
  const payload = parseBatchPayload(job.payload);
  const args = payload.items.map((i) => ({ ...i.args, ...(i.filename ? { filename: i.filename } : {}) }));
  let items: BatchItem[] = [];
  let info: BatchInfo;
  let sent = false;
  try {
    // The workspace only: what a worker may read comes from its own configuration, never from the queue.
    const prepared = await prepareItems(args, deps.defaults, deps.workspace, { workspaceOnly: true });
    items = prepared.map(pendingItem);
    ctx.report(`uploading ${prepared.length} request(s) to the Batch API`);
    const fileId = await deps.api.upload(prepared.map(requestLine), BATCH_ENDPOINT, ctx.signal);
    await ctx.markSent();
    sent = true;
    ctx.report("creating the batch");
    const metadata = { pixelwright_job: job.id };
    info = await deps.api.create(fileId, {
      endpoint: BATCH_ENDPOINT,
      window: BATCH_WINDOW,
      metadata,
      signal: ctx.signal,
    });
  } catch (err) {
    // Stopped before anything was sent: the worker hands the job on (or it was cancelled); its reservation stays.
    if (!sent && (err instanceof AbortedError || ctx.signal.aborted)) throw err;
    throw await notCreated(job, payload, items, err, sent, deps);
  }
  ctx.report(`batch ${info.id} created (${info.status})`);
  return batchResult(
    "running",
    { job_id: job.id, provider: deps.provider },
    batchReport(items, { id: info.id, status: info.status }),
    {
      caveats: deps.offline ? [OFFLINE_CAVEAT] : [],
      message: `batch ${info.id} was created (${info.status}); the Batch API answers within 24 h.`,
      next: collectNext(job.id),
      elapsed_ms: Date.now() - job.createdAt,
    },
  );
}
