// The caller's side of generate_batch: every item checked like a single call, the batch priced at the Batch price,
// then a dry run's estimate, the identical batch job shared, or a new batch job admitted — the busy cap, the whole
// batch's estimate reserved in the spend ledger (refused under the cap: nothing sent) — and put in the book, where a
// worker sends it. It answers at once: the Batch API answers within 24 h.

import { BATCH_WINDOW_MS, sumUsd } from "../../contract/batch.js";
import type { BatchResult } from "../../contract/schemas.js";
import { BusyError, InputError } from "../../errors.js";
import type { BookJob, JobBook } from "../../jobs/book.js";
import type { ReadAccess, Workspace } from "../../workspace/workspace.js";
import type { PrepareDefaults } from "../generate/prepare.js";
import type { SpendConfirmer, SpendGuard } from "../spend-guard.js";
import { batchKey, type ItemArgs, type PreparedItem, pendingItem, prepareItems, queuedItem } from "./items.js";
import { BATCH_KIND, type BatchPayload, type BatchRequest } from "./payload.js";
import { batchReport, batchResult, batchSnapshot, OFFLINE_CAVEAT } from "./results.js";

/** How long a sent batch answers an identical request instead of a new batch: the Batch API's own window. */
export const BATCH_REUSE_MS = BATCH_WINDOW_MS;

export interface StartDeps {
  book: JobBook;
  pool: string;
  workspace: Workspace;
  spend: SpendGuard;
  defaults: PrepareDefaults;
  provider: string;
  offline: boolean;
  maxActiveJobs: number;
  wakeWorker: () => Promise<void>;
  /** A batch job as a result (its collected record when there is one): what an identical request gets. */
  present: (job: BookJob) => Promise<BatchResult>;
}

export interface StartOptions {
  dryRun?: boolean | undefined;
  fresh?: boolean | undefined;
  confirmSpend?: boolean | undefined;
  confirm?: SpendConfirmer | undefined;
  workspaceOnly?: ReadAccess | undefined;
}

function dryRun(deps: StartDeps, items: PreparedItem[], spend: string | null): BatchResult {
  const pending = items.map((item) => {
    const report = pendingItem(item);
    return { ...report, caveats: [...report.caveats, `Cost basis: ${item.cost.basis}.`] };
  });
  return batchResult(
    "completed",
    { job_id: null, provider: deps.provider },
    batchReport(pending, { id: null, status: null }),
    {
      dry_run: true,
      caveats: [...(deps.offline ? [OFFLINE_CAVEAT] : []), ...(spend ? [spend] : [])],
      next: "Call generate_batch again without dry_run to send the batch.",
    },
  );
}

async function reused(deps: StartDeps, job: BookJob): Promise<BatchResult> {
  const result = await deps.present(job);
  const caveat = `An identical batch request was sent as job ${job.id}: it is returned and nothing was paid twice. Pass fresh: true to send a new batch.`;
  return { ...result, reused_job: true, caveats: [...result.caveats, caveat] };
}

function busy(active: number, limit: number): BusyError {
  return new BusyError(
    `${active} jobs are running or queued (the limit is ${limit}: PIXELWRIGHT_MAX_CONCURRENCY + PIXELWRIGHT_MAX_QUEUED); nothing was sent.`,
    30,
  );
}

export async function startBatch(
  deps: StartDeps,
  args: readonly ItemArgs[],
  options: StartOptions,
): Promise<BatchResult> {
  if (args.length === 0) throw new InputError("items is empty: give at least one generate_image request.", "items");
  const items = await prepareItems(args, deps.defaults, deps.workspace, { workspaceOnly: options.workspaceOnly });
  const total = sumUsd(items.map((i) => i.cost.usd));
  const images = items.reduce((sum, i) => sum + i.prepared.req.n, 0);
  if (options.dryRun) return dryRun(deps, items, await deps.spend.describe(total, images));
  const key = batchKey(deps.provider, items);
  const existing = options.fresh ? null : await deps.book.find(key, BATCH_REUSE_MS);
  if (existing) return reused(deps, existing);
  const active = await deps.book.active();
  if (active >= deps.maxActiveJobs) throw busy(active, deps.maxActiveJobs);
  // The whole batch is reserved before it exists: a batch the cap has no room for is never created.
  const admission = await deps.spend.admit(total, 1, images, options.confirmSpend === true, options.confirm);
  let job: BookJob;
  try {
    const payload: BatchPayload = { kind: BATCH_KIND, items: items.map(queuedItem), admitted: admission.ids };
    const request: BatchRequest = { items: items.map(pendingItem), cost_estimate_usd: total };
    const outcome = await deps.book.submit({
      key,
      fresh: options.fresh === true,
      pool: deps.pool,
      about: {
        label: `sending a batch of ${items.length} request(s)`,
        typical: deps.offline ? "the offline simulator answers at once" : "the Batch API answers within 24 h",
      },
      payload,
      request,
      reuseWindowMs: BATCH_REUSE_MS,
      maxActive: deps.maxActiveJobs,
    });
    if ("busy" in outcome) throw busy(outcome.busy, deps.maxActiveJobs);
    if (outcome.reused) {
      await admission.release();
      return reused(deps, outcome.job);
    }
    job = outcome.job;
    await deps.spend.assign(admission, job.id);
  } catch (err) {
    await admission.release();
    throw err;
  }
  await deps.wakeWorker();
  return batchSnapshot(job, { provider: deps.provider, offline: deps.offline });
}
