// generate_batch and its collection: the facade the tools call, and the worker's side of the two batch jobs. A batch
// job sends the batch (and looks once: a batch answered at once is collected by the worker that sent it); a batch
// that is still running is collected on demand — verify_image(job_id) puts one collect job in the book per batch at
// a time (identical collectors share it), a worker in any process looks at the batch until it ends or the caller's
// deadline, and once it ended collects it, once. No process polls a batch nobody asks about: the detached runner
// still exits when idle, and the Batch API keeps the answers in the meantime.

import type { BatchResult, ImageReport } from "../../contract/schemas.js";
import { asPixelwrightError, InputError, InternalError, JobFailedError } from "../../errors.js";
import { type BookJob, isLive, JOB_ID, type JobBook, type JobOutcome } from "../../jobs/book.js";
import type { Logger } from "../../log.js";
import type { BatchApi } from "../../upstream/batch-api.js";
import type { Workspace } from "../../workspace/workspace.js";
import type { PrepareDefaults } from "../generate/prepare.js";
import type { KindWork } from "../job-work.js";
import type { SpendGuard } from "../spend-guard.js";
import { remeasure } from "../verify.js";
import { MAX_WAIT_SECONDS, type WaitOptions } from "../wait.js";
import { type BatchSource, type CollectDeps, checkBatch } from "./collect.js";
import type { ItemArgs } from "./items.js";
import { recordedBatch, writeBatchRecord } from "./keep.js";
import {
  BATCH_KIND,
  batchPayloadOf,
  COLLECT_KIND,
  type CollectPayload,
  collectPayloadOf,
  parseBatchPayload,
  parseBatchResult,
  parseCollectPayload,
} from "./payload.js";
import { batchSnapshot } from "./results.js";
import { sendBatch } from "./send.js";
import { type StartOptions, startBatch } from "./start.js";

export interface BatchServiceDeps {
  book: JobBook;
  pool: string;
  workspace: Workspace;
  spend: SpendGuard;
  api: BatchApi;
  logger: Logger;
  offline: boolean;
  provider: string;
  defaults: PrepareDefaults;
  maxActiveJobs: number;
  wakeWorker: () => Promise<void>;
  /**
   * Waits up to `ms` for a job to end (its worker kept alive meanwhile, the call let go when the server closes);
   * resolves with the job as it is then.
   */
  waitFor: (job: BookJob, ms: number, options: WaitOptions) => Promise<BookJob>;
  /** Between two looks at a running batch (default 5 s). */
  pollMs?: number;
}

/** A collector waits this long past its deadline for the look it asked for (a worker may have to start first). */
const LOOK_GRACE_MS = 10_000;

export class BatchService {
  /** The worker's side of the two batch jobs, by payload kind. */
  readonly kinds: Readonly<Record<string, KindWork>>;
  private readonly collectDeps: CollectDeps;

  constructor(private readonly deps: BatchServiceDeps) {
    this.collectDeps = { ...deps, pollMs: deps.pollMs ?? 5000 };
    this.kinds = { [BATCH_KIND]: this.sendWork(), [COLLECT_KIND]: this.collectWork() };
  }

  private get view() {
    return { provider: this.deps.provider, offline: this.deps.offline };
  }

  start(items: readonly ItemArgs[], options: StartOptions): Promise<BatchResult> {
    return startBatch({ ...this.deps, present: (job) => this.present(job) }, items, options);
  }

  /** A batch job as it is known without asking the Batch API: its collected record, or the book's word. */
  async present(job: BookJob): Promise<BatchResult> {
    const recorded = await recordedBatch(this.deps.workspace, job.id);
    return recorded ? this.remeasured(recorded) : batchSnapshot(job, this.view);
  }

  /**
   * verify_image(job_id) for a batch job: waits for the batch to be sent, then has a worker look at it until it ends
   * (and collect it) or the deadline passes. Null when the job is not a batch job.
   */
  async collect(jobId: string, options: WaitOptions): Promise<BatchResult | null> {
    const job = JOB_ID.test(jobId) ? await this.deps.book.get(jobId) : null;
    const look = job ? collectPayloadOf(job.payload) : null;
    return look ? this.collectFor(jobId, look.batchJob, options) : this.collectBatch(jobId, job, options);
  }

  /**
   * verify_image with the id of a look at a batch (an earlier version showed it in progress lines): the truth about
   * its batch, under the batch's own job_id.
   */
  private async collectFor(lookId: string, batchJobId: string, options: WaitOptions): Promise<BatchResult> {
    const batchJob = await this.deps.book.get(batchJobId);
    const result = await this.collectBatch(batchJobId, batchJob, options);
    const what = `job_id "${lookId}" is a look at the batch of job_id "${batchJobId}"`;
    if (!result) {
      throw new InputError(
        `${what}, which neither the job book nor the workspace (${this.deps.workspace.root}) knows any more.`,
        "job_id",
      );
    }
    const caveat = `${what}: that batch is reported here. Collect it with its own job_id.`;
    return { ...result, caveats: [...result.caveats, caveat] };
  }

  private async collectBatch(jobId: string, job: BookJob | null, options: WaitOptions): Promise<BatchResult | null> {
    const { book, workspace } = this.deps;
    if (!job) {
      const recorded = await recordedBatch(workspace, jobId);
      return recorded ? this.remeasured(recorded) : null;
    }
    if (batchPayloadOf(job.payload) === null) return null;
    const deadline = Date.now() + Math.min(MAX_WAIT_SECONDS, Math.max(0, options.waitSeconds)) * 1000;
    const sent = isLive(job) ? await this.wait(job, deadline - Date.now(), options) : job;
    const created = parseBatchResult(sent.result);
    if (isLive(sent) || sent.status !== "completed" || created?.status !== "running") return this.present(sent);
    const recorded = await recordedBatch(workspace, sent.id);
    if (recorded) return this.remeasured(recorded);
    const payload: CollectPayload = { kind: COLLECT_KIND, batchJob: sent.id, until: deadline };
    const outcome = await book.submit({
      key: `${COLLECT_KIND}:${sent.id}`,
      pool: this.deps.pool,
      about: {
        label: `looking at batch ${created.batch.batch_id}`,
        typical: "the Batch API answers within 24 h",
      },
      payload,
      request: null,
      // Only a look in progress is shared: a later collector looks again.
      reuseWindowMs: 0,
      // A look is a GET now and then, not a generation: batches waiting to be collected hold up no one's images.
      holdsSlot: false,
    });
    if ("busy" in outcome) return created;
    await this.deps.wakeWorker();
    // The caller knows the batch's job_id, never the look's: progress names the batch's.
    const shown = { ...options, shownAs: sent.id };
    const look = await this.wait(outcome.job, Math.max(0, deadline - Date.now()) + LOOK_GRACE_MS, shown);
    const seen = parseBatchResult(look.result);
    if (look.status === "completed" && seen) return seen.status === "completed" ? this.remeasured(seen) : seen;
    const why = isLive(look) ? "is still under way" : `failed (${look.endReason ?? look.status})`;
    return { ...created, caveats: [...created.caveats, `Looking at the batch ${why}: call verify_image again later.`] };
  }

  private wait(job: BookJob, ms: number, options: WaitOptions): Promise<BookJob> {
    return this.deps.waitFor(job, ms, options);
  }

  /** A collected batch's images measured again from the disk: a file changed or gone since is never verified. */
  private async remeasured(result: BatchResult): Promise<BatchResult> {
    const formats = new Map<string, string>();
    for (const item of result.batch.items)
      for (const path of item.images) formats.set(path, item.requested.output_format);
    const images: ImageReport[] = [];
    for (const image of result.images) {
      images.push(await remeasure(this.deps.workspace, image, formats.get(image.path) ?? image.format));
    }
    return { ...result, images };
  }

  private sourceOf(job: BookJob, created: BatchResult): BatchSource {
    return { jobId: job.id, createdAt: job.createdAt, payload: parseBatchPayload(job.payload), created };
  }

  /** Frees the reservation of a batch that was never created. */
  private async release(job: BookJob): Promise<void> {
    const admitted = batchPayloadOf(job.payload)?.admitted ?? [];
    if (admitted.length) await this.deps.spend.releaseUnused(admitted);
  }

  private settleThrow(job: BookJob, err: unknown, abortReason: string | null): JobOutcome {
    if (err instanceof JobFailedError) return { status: "failed", result: err.result, endReason: err.message };
    if (abortReason !== null && !job.sent) return { status: "cancelled", result: null, endReason: abortReason };
    const typed = asPixelwrightError(err);
    if (typed instanceof InternalError) {
      this.deps.logger.error({ err, incident: typed.incidentId, job: job.id }, "a batch job failed unexpectedly");
    }
    const message = typed instanceof InternalError ? `Internal error (incident ${typed.incidentId})` : typed.message;
    return { status: "failed", result: null, endReason: message };
  }

  private sendWork(): KindWork {
    return {
      run: async (job, ctx) => {
        const created = await sendBatch(job, ctx, this.collectDeps);
        // One look at once: a batch answered at once is collected here; any trouble leaves it for a collector.
        try {
          return await checkBatch(this.sourceOf(job, created), Date.now(), ctx, this.collectDeps);
        } catch (err) {
          this.deps.logger.warn({ err, job: job.id }, "the first look at a new batch failed; it is collected later");
          return created;
        }
      },
      settle: (job, err, abortReason) => this.settleThrow(job, err, abortReason),
      // A job that ended without a batch result never created its batch (notCreated settled those it tried).
      ended: async (job, outcome) => {
        if (outcome && outcome.status !== "completed" && parseBatchResult(outcome.result) === null) {
          await this.release(job);
        }
      },
      cancelled: (job) => this.release(job),
      lost: async (job) => {
        await writeBatchRecord(batchSnapshot(job, this.view), this.collectDeps, 1);
      },
    };
  }

  private collectWork(): KindWork {
    return {
      run: async (job, ctx) => {
        const payload = parseCollectPayload(job.payload);
        const sent = await this.deps.book.get(payload.batchJob);
        const created = sent ? parseBatchResult(sent.result) : null;
        if (!sent || !created?.batch.batch_id) {
          throw new InternalError(`collect job ${job.id} names batch job ${payload.batchJob}, which sent no batch`);
        }
        if (created.status !== "running") return created;
        return checkBatch(this.sourceOf(sent, created), payload.until, ctx, this.collectDeps);
      },
      settle: (job, err, abortReason) => this.settleThrow(job, err, abortReason),
      ended: async () => {},
      cancelled: async () => {},
      lost: async () => {},
    };
  }
}
