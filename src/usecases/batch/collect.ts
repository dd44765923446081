// A worker's look at a sent batch (whichever process runs it): the Batch API asked how the batch is doing, again
// until it ended or the collector's deadline passed. Once it ended, its output and error files are read line by
// line, each answer's images kept (keep.ts), every item reported with what became of it, the spend settled with the
// billed usage, and the batch recorded — once: a later look answers from that record, never downloading again.

import { batchCostFromUsage, sumUsd } from "../../contract/batch.js";
import { failureNext } from "../../contract/next.js";
import type { BatchItem, BatchResult, ImageReport } from "../../contract/schemas.js";
import { AbortedError } from "../../errors.js";
import type { JobContext } from "../../jobs/worker.js";
import type { BatchAnswer, BatchApi, BatchInfo } from "../../upstream/batch-api.js";
import type { PrepareDefaults } from "../generate/prepare.js";
import { usableImages } from "../generate/save.js";
import type { SpendGuard } from "../spend-guard.js";
import { customIdOf, type PreparedItem, pendingItem, prepareItems } from "./items.js";
import {
  itemGeneration,
  type KeepDeps,
  keepImages,
  recordedBatch,
  writeBatchRecord,
  writeItemRecords,
} from "./keep.js";
import type { BatchPayload } from "./payload.js";
import { batchReport, batchResult } from "./results.js";

export interface CollectDeps extends KeepDeps {
  api: BatchApi;
  defaults: PrepareDefaults;
  spend?: SpendGuard | undefined;
  /** How long to wait between two looks at a running batch. */
  pollMs: number;
}

/** A sent batch: its job, what the job carries, and the result it ended with (the batch's id). */
export interface BatchSource {
  jobId: string;
  createdAt: number;
  payload: BatchPayload;
  created: BatchResult;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new AbortedError());
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", stop);
      resolve();
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    signal.addEventListener("abort", stop, { once: true });
  });
}

const answeredOf = (info: BatchInfo) => `${info.counts.completed + info.counts.failed} of ${info.counts.total}`;

/** Looks at the batch until it ended (then collects it) or `until` passed (then says it still runs). */
export async function checkBatch(
  source: BatchSource,
  until: number,
  ctx: JobContext,
  deps: CollectDeps,
): Promise<BatchResult> {
  const recorded = await recordedBatch(deps.workspace, source.jobId);
  if (recorded) return recorded;
  const batchId = source.created.batch.batch_id as string;
  for (;;) {
    const info = await deps.api.retrieve(batchId, ctx.signal);
    ctx.report(`batch ${info.id} is ${info.status}: ${answeredOf(info)} request(s) answered`);
    if (info.terminal) return gather(source, info, ctx, deps);
    if (Date.now() >= until) {
      const { created } = source;
      return {
        ...created,
        batch: { ...created.batch, batch_status: info.status },
        message: `batch ${info.id} is ${info.status}: ${answeredOf(info)} request(s) answered so far`,
        elapsed_ms: Date.now() - source.createdAt,
      };
    }
    await pause(deps.pollMs, ctx.signal);
  }
}

interface Kept {
  item: BatchItem;
  images: ImageReport[];
  next: string | null;
}

/** One answer: a failed item with its reason, or its images kept and recorded at the batch price. */
async function keepAnswer(
  item: PreparedItem,
  answer: BatchAnswer,
  source: BatchSource,
  deps: CollectDeps,
): Promise<Kept> {
  const base = { ...pendingItem(item), request_id: answer.requestId };
  const { req } = item.prepared;
  if (answer.error) {
    const advice = failureNext({ message: answer.error.message, code: answer.error.code, mayHaveBeenBilled: false });
    return {
      item: { ...base, status: "failed", error: answer.error, caveats: [...base.caveats, advice] },
      images: [],
      next: null,
    };
  }
  const { decoded, problems } = usableImages(answer.images);
  const stem = item.filename ?? req.prompt;
  const where = { jobId: source.jobId, createdAt: source.createdAt, index: item.index, stem, req };
  const kept = await keepImages(decoded, where, deps);
  const cost = deps.offline ? 0 : answer.usage ? batchCostFromUsage(req.model, answer.usage) : null;
  const caveats = [...base.caveats, ...[...problems, ...kept.problems].map((p) => `Dropped: ${p}.`)];
  for (const image of kept.images.filter((i) => !i.verified && i.mismatch)) caveats.push(image.mismatch as string);
  if (kept.images.length < req.n)
    caveats.push(`Requested ${req.n} image(s) but the answer gave ${kept.images.length}.`);
  if (kept.images.length === 0) {
    const error = {
      code: "no_usable_image",
      message: `the answer held no usable image (${problems.join("; ") || "none"})`,
    };
    return { item: { ...base, status: "failed", cost_usd: cost, error, caveats }, images: [], next: null };
  }
  const generation = itemGeneration({ jobId: source.jobId, provider: deps.provider, req }, kept.images, {
    caveats,
    request_ids: answer.requestId ? [answer.requestId] : [],
    usage: answer.usage as Record<string, unknown> | null,
    cost_estimate_usd: item.cost.usd,
    cost_usd: cost,
    elapsed_ms: Date.now() - source.createdAt,
  });
  const notes = await writeItemRecords(generation, req, deps);
  const images = kept.images.map((i) => i.path);
  return {
    item: { ...base, status: "completed", images, cost_usd: cost, caveats: [...caveats, ...notes] },
    images: kept.images,
    next: generation.next,
  };
}

/** Why an item the batch never answered has no answer. */
function unanswered(info: BatchInfo): { code: string; message: string } {
  if (info.status === "failed") {
    return {
      code: "batch_failed",
      message: `the Batch API refused the batch: ${info.errors.join("; ") || "no reason given"}`,
    };
  }
  return { code: `batch_${info.status}`, message: `the batch ended ${info.status} without answering this request` };
}

/** What the batch as a whole says: why nothing arrived, or what ended early. */
function batchMessage(info: BatchInfo, items: BatchItem[]): string | null {
  const done = items.filter((i) => i.status === "completed").length;
  if (info.status === "failed") return `${unanswered(info).message}; nothing was billed.`;
  if (info.status === "expired" || info.status === "cancelled") {
    return `the batch ${info.status} after answering ${done} of ${items.length} request(s): the others were not run and not billed.`;
  }
  return done === 0 ? "no item delivered an image." : null;
}

/** The spend of the batch: settled at what its answers billed, released when nothing ran, else kept at the estimate. */
function settleSpend(source: BatchSource, items: BatchItem[], billed: number | null, deps: CollectDeps): Promise<void> {
  const { spend } = deps;
  const id = source.payload.admitted[0];
  if (!spend || id === undefined) return Promise.resolve();
  const ran = items.some((i) => i.status === "completed" || i.cost_usd !== null);
  const need = { step: "the batch", usdPerCall: source.created.cost_estimate_usd, images: items.length, admitted: id };
  return spend.step(source.jobId, need).then((charge) => {
    if (billed !== null) return charge.billed(billed);
    return ran ? charge.unknown() : charge.notBilled();
  });
}

/** Reads every answer of an ended batch and keeps it; records the batch; settles its spend. */
async function gather(source: BatchSource, info: BatchInfo, ctx: JobContext, deps: CollectDeps): Promise<BatchResult> {
  const args = source.payload.items.map((i) => ({ ...i.args, ...(i.filename ? { filename: i.filename } : {}) }));
  const items = await prepareItems(args, deps.defaults, deps.workspace, { workspaceOnly: true });
  const byId = new Map(items.map((i) => [customIdOf(i.index), i]));
  const kept = new Map<number, Kept>();
  for (const fileId of [info.outputFileId, info.errorFileId]) {
    if (!fileId) continue;
    ctx.report(`reading the answers of batch ${info.id}`);
    for await (const answer of deps.api.answers(fileId, ctx.signal)) {
      const item = byId.get(answer.customId);
      if (item && !kept.has(item.index)) kept.set(item.index, await keepAnswer(item, answer, source, deps));
    }
  }
  const reports = items.map(
    (i): BatchItem => kept.get(i.index)?.item ?? { ...pendingItem(i), status: "failed", error: unanswered(info) },
  );
  const images = items.flatMap((i) => kept.get(i.index)?.images ?? []);
  const billed = deps.offline ? 0 : sumUsd(reports.map((r) => r.cost_usd));
  await settleSpend(source, reports, billed, deps);
  const failed = reports.filter((r) => r.status === "failed").map((r) => r.index);
  const next = failed.length
    ? `Item(s) ${failed.join(", ")} failed (batch.items[].error says why; requests that were not answered were not billed): send them again with generate_batch or generate_image once what their error names is fixed.`
    : ([...kept.values()].find((k) => k.next)?.next ?? null);
  const offline = deps.offline
    ? [
        "Offline simulator: no model was called and nothing was paid; the images are placeholders of the requested sizes.",
      ]
    : [];
  const result = batchResult(
    images.length ? "completed" : "failed",
    { job_id: source.jobId, provider: deps.provider },
    batchReport(reports, { id: info.id, status: info.status }),
    {
      images,
      caveats: offline,
      message: batchMessage(info, reports),
      next,
      cost_usd: billed,
      elapsed_ms: Date.now() - source.createdAt,
    },
  );
  const note = await writeBatchRecord(result, deps, 0);
  if (note) result.caveats.push(note);
  return result;
}
