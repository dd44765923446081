// The image service the tools call: refuse locally, share identical work, put new work in the job book (where a
// worker runs it — a detached runner, this process, or a replica), wait with a deadline, and verify what already
// exists. Each step lives in its own module; this is the facade that wires them.

import { basename } from "node:path";
import { z } from "zod";
import type { GenerateArgs, ProfileLimits } from "../contract/request.js";
import type { GenerationResult, ImageReport, Strategy } from "../contract/schemas.js";
import { BusyError, InputError } from "../errors.js";
import type { InlineImage } from "../imaging/preview.js";
import { type BookJob, isLive, JOB_ID, type JobBook } from "../jobs/book.js";
import type { Logger } from "../log.js";
import type { BatchApi } from "../upstream/batch-api.js";
import type { DownloadPolicy } from "../upstream/download.js";
import type { Upstream } from "../upstream/index.js";
import { readPreview } from "../workspace/state.js";
import type { ReadAccess, Workspace } from "../workspace/workspace.js";
import { BatchService } from "./batch/service.js";
import { dryRunResult } from "./generate/dry-run.js";
import { dedupeKey, type PrepareDefaults, type PreparedGeneration, prepareGeneration } from "./generate/prepare.js";
import { planStrategy } from "./generate/strategy.js";
import { findIdentical, submitGeneration } from "./generate/submit.js";
import { chosen, GenerationWork } from "./generate/work.js";
import { type KindWork, workByKind } from "./job-work.js";
import { recoverJob } from "./recover.js";
import type { SpendConfirmer, SpendGuard } from "./spend-guard.js";
import { type UpscaleRequest, upscaleExisting } from "./upscale.js";
import { expectation, remeasure, type VerifyResult, verifyPath, verifyUrl, withDetail } from "./verify.js";
import { awaitJob, snapshot, type WaitOptions, waitForEnd } from "./wait.js";

export type { VerifyResult } from "./verify.js";
export { MAX_WAIT_SECONDS, type WaitOptions } from "./wait.js";

/** A kept preview as read back: an inline JPEG or WebP within the preview budget, or nothing. */
const KeptPreviewSchema = z.object({
  mimeType: z.enum(["image/jpeg", "image/webp"]),
  data: z.base64().max(400_000),
  width: z.number().int().positive().max(1024),
  height: z.number().int().positive().max(1024),
});

export interface ServiceDeps {
  /** The spend ledger: the cap, every paid step's reservation, the confirmation threshold. */
  spend: SpendGuard;
  upstream: Upstream;
  /** The Batch API (generate_batch). */
  batchApi: BatchApi;
  workspace: Workspace;
  /** The job book every process on the workspace (or every replica) shares, and this configuration's pool in it. */
  book: JobBook;
  pool: string;
  /** Makes sure a worker will take this pool's queued jobs (the in-process worker, or a detached runner). */
  wakeWorker: () => Promise<void>;
  logger: Logger;
  offline: boolean;
  provider: string;
  defaultModel: string;
  defaultResponsesModel: string;
  profile: ProfileLimits;
  downloadPolicy: DownloadPolicy;
  /** Running plus queued jobs allowed at once; beyond that generate_image answers "busy". */
  maxActiveJobs: number;
  /** Running jobs allowed at once (PIXELWRIGHT_MAX_CONCURRENCY). */
  concurrency: number;
}

export interface GenerateOptions extends WaitOptions {
  /** The caller is remote (HTTP): local files may come from the workspace only; or the client's roots too. */
  workspaceOnly?: ReadAccess;
  filename?: string | undefined;
  /** The caller will show the default preview (a hint to start encoding it early). */
  warmPreview?: boolean;
  dryRun?: boolean | undefined;
  fresh?: boolean | undefined;
  /** The agent says the person agreed to the cost: stands in for the person only when the client cannot ask. */
  confirmSpend?: boolean | undefined;
  /** Asks the person about the cost (MCP elicitation), when the connection can. */
  confirm?: SpendConfirmer;
  /** native (default), master (stable master + local upscale) or auto (native, then whatever makes the size). */
  strategy?: Strategy | undefined;
}

export class ImageService {
  /** Calls reading their input files right now: they count against the busy cap like running jobs. */
  private preparing = 0;
  /** The worker's half: what a worker of this process runs, settles and records, for every kind of job. */
  readonly work: KindWork;
  /** generate_batch and its collection. */
  readonly batches: BatchService;
  /** Calls waiting on jobs right now, and how to let each go (a closing server answers them with the job as it is). */
  private readonly waiting = new Map<
    Promise<unknown>,
    { jobId: string; release: AbortController; leave: AbortController | null }
  >();
  /** The caller of this process has gone (an interrupted one-shot call): every wait from now on is left at once. */
  private leaving = false;

  constructor(private readonly deps: ServiceDeps) {
    const defaults = { model: deps.defaultModel, responsesModel: deps.defaultResponsesModel, profile: deps.profile };
    this.batches = new BatchService({
      ...deps,
      api: deps.batchApi,
      defaults,
      waitFor: (job, ms, options) => this.waitFor(job, ms, options),
    });
    this.work = workByKind(this.batches.kinds, new GenerationWork(deps));
  }

  get provider(): string {
    return this.deps.provider;
  }

  /** The default preview a worker kept for a saved image (by its sha256), or null: see generate/save.ts. */
  readonly keptPreview = async (image: ImageReport): Promise<InlineImage | null> => {
    const parsed = KeptPreviewSchema.safeParse(await readPreview(this.deps.workspace, image.sha256));
    return parsed.success ? parsed.data : null;
  };

  async generate(args: GenerateArgs, options: GenerateOptions): Promise<GenerationResult> {
    const { deps } = this;
    const defaults = { model: deps.defaultModel, responsesModel: deps.defaultResponsesModel, profile: deps.profile };
    // File checks (jail, sizes, formats, mask) happen before anything is sent, for dry runs too (headers only).
    const strategy = options.strategy ?? "native";
    const prepare = (a: GenerateArgs) => this.prepare(a, defaults, options);
    const plan = await planStrategy(args, strategy, prepare, options.dryRun === true);
    if (options.dryRun) {
      const { req } = chosen(plan);
      const spend = await deps.spend.describe(req.cost.usd, req.n);
      return dryRunResult(plan, { provider: deps.provider, offline: deps.offline, spend });
    }
    const key = `${dedupeKey(deps.provider, plan.native, options.filename)}${strategy === "native" ? "" : `:${strategy}`}`;
    const existing = await findIdentical(deps, key, options.fresh === true);
    if (existing) return this.reuse(existing, options);
    const { job, reused } = await submitGeneration(deps, args, plan, {
      key,
      fresh: options.fresh === true,
      filename: options.filename,
      warmPreview: options.warmPreview ?? false,
      confirmSpend: options.confirmSpend === true,
      confirm: options.confirm,
      preparing: this.preparing,
    });
    if (reused) return this.reuse(job, options);
    await deps.wakeWorker();
    return this.await(job, options);
  }

  /** Calls that read input files meet the busy cap before reading (dry runs too), and count against it meanwhile. */
  private async prepare(
    args: GenerateArgs,
    defaults: PrepareDefaults,
    options: GenerateOptions,
  ): Promise<PreparedGeneration> {
    const readsFiles = (args.reference_images?.length ?? 0) > 0 || Boolean(args.mask) || Boolean(args.markup);
    if (readsFiles) await this.checkCapacity();
    this.preparing += readsFiles ? 1 : 0;
    try {
      return await prepareGeneration(args, defaults, this.deps.workspace, {
        workspaceOnly: options.workspaceOnly,
        headersOnly: options.dryRun === true,
      });
    } finally {
      this.preparing -= readsFiles ? 1 : 0;
    }
  }

  private async reuse(existing: BookJob, options: WaitOptions): Promise<GenerationResult> {
    this.deps.logger.info({ job: existing.id }, "identical request: reusing the job instead of a new paid call");
    const result = await this.await(existing, options);
    const state = existing.finishedAt
      ? existing.lost
        ? "was sent and its outcome is unknown"
        : "completed"
      : "is running";
    return {
      ...result,
      reused_job: true,
      caveats: [
        ...result.caveats,
        `An identical request ${state} as job ${existing.id}: its result is returned and nothing was paid twice. Pass fresh: true to force a new generation.`,
      ],
    };
  }

  private async checkCapacity(): Promise<void> {
    const { deps } = this;
    const active = (await deps.book.active()) + this.preparing;
    if (active >= deps.maxActiveJobs) {
      throw new BusyError(
        `${active} generations are running, queued or reading their input files (the limit is ${deps.maxActiveJobs}: PIXELWRIGHT_MAX_CONCURRENCY + PIXELWRIGHT_MAX_QUEUED); nothing was read or sent.`,
        30,
      );
    }
  }

  /**
   * Waits for a job (by id) and reports it exactly like a completed generate_image, its files measured again from
   * the disk. A job the book no longer holds (or never held: an earlier version) is rebuilt from the workspace.
   */
  async collect(jobId: string, options: WaitOptions): Promise<GenerationResult> {
    const job = await this.jobState(jobId);
    let result: GenerationResult | null = job ? await this.await(job, options) : null;
    // A lost job whose images were saved after all (its worker lost the book, not the disk): the record wins.
    if (!result || result.failure?.reason.includes("worker was lost")) {
      result = (await recoverJob(this.deps.workspace, jobId)) ?? result;
    }
    if (result?.status === "completed") {
      const format = result.requested.output_format || null;
      const images = await Promise.all(result.images.map((image) => remeasure(this.deps.workspace, image, format)));
      return { ...result, images };
    }
    if (result) return result;
    throw new InputError(
      `no job "${jobId}" is known: the job book and the workspace (${this.deps.workspace.root}) have no record of it. Check the job id, or generate again.`,
      "job_id",
    );
  }

  /** Waits up to `ms` for a job to end, as a call a closing server can let go; resolves with the job as it is then. */
  private waitFor(job: BookJob, ms: number, options: WaitOptions): Promise<BookJob> {
    const release = new AbortController();
    const waiting = waitForEnd(this.deps.book, job, ms, {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { send: options.onProgress } : {}),
      shownAs: options.shownAs,
      release: release.signal,
      liveness: (latest) => this.keepAlive(latest),
    });
    this.waiting.set(waiting, { jobId: job.id, release, leave: null });
    if (this.leaving) release.abort();
    void waiting.finally(() => this.waiting.delete(waiting)).catch(() => {});
    return waiting;
  }

  private await(job: BookJob, options: WaitOptions): Promise<GenerationResult> {
    const release = new AbortController();
    const leave = new AbortController();
    if (this.leaving) leave.abort();
    const signal = options.signal ? AbortSignal.any([options.signal, leave.signal]) : leave.signal;
    const waiting = awaitJob(
      this.deps.book,
      job,
      { ...options, signal, release: release.signal },
      this.view(),
      (latest) => this.keepAlive(latest),
    );
    this.waiting.set(waiting, { jobId: job.id, release, leave });
    void waiting.finally(() => this.waiting.delete(waiting)).catch(() => {});
    return waiting;
  }

  /**
   * Resolves once the calls waiting now have answered, or after `ms` (a closing server aborted their requests: an
   * unsent job they alone wait for is cancelled first).
   */
  async settled(ms = 2000): Promise<void> {
    if (this.waiting.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.waiting.keys()]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    ]);
    clearTimeout(timer);
  }

  /**
   * While a caller waits: jobs whose worker is gone are reaped (a lost one recorded, once), and a queued job gets a
   * worker (a detached runner killed before it sent anything is started again).
   */
  async keepAlive(job: BookJob): Promise<void> {
    for (const lost of await this.deps.book.reap()) await this.work.lost(lost);
    if (job.status === "queued") await this.deps.wakeWorker();
  }

  /**
   * A closing server lets the calls waiting on jobs go (those `which` picks; all by default): each answers with its
   * job as it is now — "running, collect it with verify_image" when it goes on elsewhere — never with a failure.
   */
  releaseWaiters(which: (jobId: string) => boolean = () => true): void {
    for (const { jobId, release } of this.waiting.values()) if (which(jobId)) release.abort();
  }

  /**
   * The one caller of this process has gone (a one-shot call interrupted by Ctrl-C or SIGTERM): every call waiting on
   * a job answers now, as if its client had cancelled it — a job still unsent that nobody else waits for is cancelled
   * (nothing paid), a sent one goes on in its worker and stays collectable. Waits that start later end at once.
   */
  leaveWaiters(): void {
    this.leaving = true;
    for (const { leave, release } of this.waiting.values()) (leave ?? release).abort();
  }

  /** Resolves once the job ends, wherever it runs (at once when the book does not hold it). */
  jobEnded(jobId: string): Promise<void> {
    return new Promise((resolve) => {
      let stop = () => {};
      let done = false;
      const check = (job: BookJob | null) => {
        if (done || (job && isLive(job))) return;
        done = true;
        stop();
        resolve();
      };
      stop = this.deps.book.watch(jobId, check);
      void this.jobState(jobId).then(check, () => check(null));
    });
  }

  /** A job in the book (tasks read it), or null. */
  jobState(jobId: string): Promise<BookJob | null> {
    return JOB_ID.test(jobId) ? this.deps.book.get(jobId) : Promise.resolve(null);
  }

  /**
   * A task cancelled by its client follows the rule of a cancelled call: a job whose request was sent detaches (it
   * finishes and stays collectable); an unsent one that nobody else shares is dropped.
   */
  async cancelUnsent(jobId: string, reason: string): Promise<void> {
    const job = await this.jobState(jobId);
    if (!job || job.sent || job.attachments > 1) return;
    const after = await this.deps.book.cancel(jobId, reason);
    if (after?.status === "cancelled" && job.status === "queued") await this.work.cancelled(after);
  }

  private view() {
    return { provider: this.deps.provider, offline: this.deps.offline, concurrency: this.deps.concurrency };
  }

  /** A job as a result: finished jobs give their result; running ones say how to collect them. */
  snapshot(job: BookJob): GenerationResult {
    return snapshot(job, this.view());
  }

  /** upscale_image: local, free; refuses a downscale, a stretch, a size outside the contract and non-images. */
  upscale(request: UpscaleRequest) {
    return upscaleExisting(this.deps.workspace, request, { model: this.deps.defaultModel });
  }

  /** The effective resolution of each image of a result (verify_image with job_id). */
  withDetail(images: GenerationResult["images"]) {
    const { workspace } = this.deps;
    return withDetail(images, async (path) => (await workspace.readImage(basename(path)))?.bytes ?? null);
  }

  verifyUrl(url: string, expectedSize?: string, expectedFormat?: string, signal?: AbortSignal): Promise<VerifyResult> {
    return verifyUrl(url, this.deps.downloadPolicy, expectation(expectedSize, expectedFormat), signal);
  }

  /** Reads a file, so it meets the busy cap like every call that reads inputs. */
  async verifyPath(path: string, expectedSize?: string, expectedFormat?: string, workspaceOnly: ReadAccess = false) {
    await this.checkCapacity();
    this.preparing++;
    try {
      return await verifyPath(this.deps.workspace, path, { expectedSize, expectedFormat }, workspaceOnly);
    } finally {
      this.preparing--;
    }
  }
}
