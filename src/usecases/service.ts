// The image service the tools call: refuse locally, share identical work, run it as a job, wait with a deadline,
// and verify what already exists. Each step lives in its own module; this is the facade that wires them.

import { basename } from "node:path";
import { endpointPath, type GenerateArgs, type ProfileLimits, requestedOf } from "../contract/request.js";
import { EXPERIMENTAL_PIXELS, generationResult } from "../contract/results.js";
import type { GenerationResult, Strategy } from "../contract/schemas.js";
import { BusyError, InputError } from "../errors.js";
import type { SharedJob } from "../jobs/cluster.js";
import { JOB_ID } from "../jobs/ids.js";
import type { Job, JobContext, JobRegistry } from "../jobs/registry.js";
import type { Logger } from "../log.js";
import type { DownloadPolicy } from "../upstream/download.js";
import type { Upstream } from "../upstream/index.js";
import type { ReadAccess, Workspace } from "../workspace/workspace.js";
import { dedupeKey, type PrepareDefaults, type PreparedGeneration, prepareGeneration } from "./generate/prepare.js";
import { planStrategy, runStrategy, type StrategyPlan, strategyEstimates } from "./generate/strategy.js";
import { recoverJob } from "./recover.js";
import { awaitShared, type GenerationCluster, type GenerationPayload, reusedCaveat } from "./shared.js";
import type { SpendConfirmer, SpendGuard } from "./spend-guard.js";
import { type UpscaleRequest, upscaleExisting } from "./upscale.js";
import { expectation, remeasure, type VerifyResult, verifyPath, verifyUrl, withDetail } from "./verify.js";
import { awaitJob, rememberRequest, snapshot, type WaitOptions } from "./wait.js";

export type { VerifyResult } from "./verify.js";
export { MAX_WAIT_SECONDS, type WaitOptions } from "./wait.js";

export interface ServiceDeps {
  /** The spend cap and the confirmation threshold; absent means neither. */
  spend?: SpendGuard;
  upstream: Upstream;
  workspace: Workspace;
  jobs: JobRegistry<GenerationResult>;
  logger: Logger;
  offline: boolean;
  provider: string;
  defaultModel: string;
  defaultResponsesModel: string;
  profile: ProfileLimits;
  downloadPolicy: DownloadPolicy;
  /** Running plus queued jobs allowed at once; beyond that generate_image answers "busy". */
  maxActiveJobs: number;
  /** Jobs shared with other replicas through Redis (PIXELWRIGHT_REDIS_URL); unset: the in-process registry. */
  cluster?: GenerationCluster | undefined;
}

export interface GenerateOptions extends WaitOptions {
  /** The caller is remote (HTTP): local files may come from the workspace only; or the client's roots too. */
  workspaceOnly?: ReadAccess;
  filename?: string | undefined;
  /** The caller will show the default preview (a hint to start encoding it early). */
  warmPreview?: boolean;
  dryRun?: boolean | undefined;
  fresh?: boolean | undefined;
  /** The caller already agreed to the cost (skips the PIXELWRIGHT_CONFIRM_ABOVE_USD question). */
  confirmSpend?: boolean | undefined;
  /** Asks the person about the cost (MCP elicitation), when the connection can. */
  confirm?: SpendConfirmer;
  /** native (default), master (stable master + local upscale) or auto (native, then whatever makes the size). */
  strategy?: Strategy | undefined;
}

/** What a running or failed job reports about its request. */
function jobRequest({ req, inputs }: PreparedGeneration) {
  return {
    route: req.route,
    endpoint: endpointPath(req.route, inputs.references.length > 0),
    model: req.model.id,
    requested: requestedOf(req),
  };
}

/** What a strategy sends first: the master for strategy master, the requested size otherwise. */
function chosen(plan: StrategyPlan): PreparedGeneration {
  return plan.strategy === "master" && plan.master ? plan.master : plan.native;
}

export class ImageService {
  /** Calls reading their input files right now: they count against the busy cap like running jobs. */
  private preparing = 0;

  constructor(private readonly deps: ServiceDeps) {}

  get provider(): string {
    return this.deps.provider;
  }

  async generate(args: GenerateArgs, options: GenerateOptions): Promise<GenerationResult> {
    const { deps } = this;
    const defaults = { model: deps.defaultModel, responsesModel: deps.defaultResponsesModel, profile: deps.profile };
    // File checks (jail, sizes, formats, mask) happen before anything is sent, for dry runs too (headers only).
    const strategy = options.strategy ?? "native";
    const prepare = (a: GenerateArgs) => this.prepare(a, defaults, options);
    const plan = await planStrategy(args, strategy, prepare, options.dryRun === true);
    if (options.dryRun) return this.dryRun(plan);
    const prepared = chosen(plan);
    const key = `${dedupeKey(deps.provider, plan.native, options.filename)}${strategy === "native" ? "" : `:${strategy}`}`;
    if (deps.cluster) {
      const release = await this.admitSpend(prepared, options);
      return this.generateShared(deps.cluster, args, key, plan, options).finally(release);
    }
    const existing = options.fresh ? undefined : deps.jobs.findReusable(key);
    if (existing) return this.reuse(existing, options);
    this.checkCapacity();
    // Money last: a reused job costs nothing, and a refusal here has sent nothing.
    const release = await this.admitSpend(prepared, options);
    // An identical request may have started while this one was admitted: share it (nothing paid twice).
    const raced = options.fresh ? undefined : deps.jobs.findReusable(key);
    if (raced) {
      release();
      return this.reuse(raced, options);
    }
    const job = this.start(key, plan, options);
    void job.settled.finally(release);
    return this.await(job, options);
  }

  private admitSpend(prepared: PreparedGeneration, options: GenerateOptions): Promise<() => void> {
    const guard = this.deps.spend;
    if (!guard) return Promise.resolve(() => {});
    return guard.admit(prepared.req.cost.usd, options.confirmSpend === true, options.confirm);
  }

  /** Calls that read input files meet the busy cap before reading (dry runs too), and count against it meanwhile. */
  private async prepare(
    args: GenerateArgs,
    defaults: PrepareDefaults,
    options: GenerateOptions,
  ): Promise<PreparedGeneration> {
    const readsFiles = (args.reference_images?.length ?? 0) > 0 || Boolean(args.mask);
    if (readsFiles) this.checkCapacity();
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

  private async dryRun(plan: StrategyPlan): Promise<GenerationResult> {
    const { deps } = this;
    const { req, inputs } = plan.native;
    const cost = chosen(plan).req.cost;
    const spend = (await deps.spend?.describe(cost.usd)) ?? null;
    return generationResult(
      "completed",
      {
        job_id: null,
        provider: deps.provider,
        route: req.route,
        endpoint: endpointPath(req.route, inputs.references.length > 0),
        model: req.model.id,
        requested: requestedOf(req),
      },
      {
        dry_run: true,
        caveats: [
          ...(deps.offline ? ["Offline simulator: no model is called."] : []),
          ...req.caveats,
          ...plan.caveats,
          `Cost basis: ${cost.basis}.`,
          ...(spend ? [spend] : []),
        ],
        cost_estimate_usd: cost.usd,
        strategy: plan.strategy,
        decision: plan.strategy === "master" && plan.master ? "master+upscale" : "native",
        estimates: strategyEstimates(plan),
        responses_model: req.route === "responses" ? req.responsesModel : null,
        next: "Call generate_image again without dry_run to generate.",
      },
    );
  }

  private async reuse(existing: Job<GenerationResult>, options: WaitOptions): Promise<GenerationResult> {
    this.deps.logger.info({ job: existing.id }, "identical request: reusing the job instead of a new paid call");
    const result = await this.await(existing, options);
    return {
      ...result,
      reused_job: true,
      caveats: [
        ...result.caveats,
        `An identical request ${existing.finishedAt ? "completed" : "is running"} as job ${existing.id}: its result is returned and nothing was paid twice. Pass fresh: true to force a new generation.`,
      ],
    };
  }

  private async generateShared(
    cluster: GenerationCluster,
    args: GenerateArgs,
    key: string,
    plan: StrategyPlan,
    options: GenerateOptions,
  ): Promise<GenerationResult> {
    const payload: GenerationPayload = {
      args,
      filename: options.filename ?? null,
      // Another replica cannot see this connection's client roots: shared jobs read the workspace and the configured roots only.
      workspaceOnly: options.workspaceOnly === true,
      warmPreview: options.warmPreview ?? false,
      strategy: plan.strategy,
    };
    const about = this.about(chosen(plan));
    const { job, reused } = await cluster.submit({ key: options.fresh ? null : key, about, payload });
    rememberRequest(job, jobRequest(plan.native));
    const result = await awaitShared(cluster, job, options, this.sharedView());
    if (!reused) return result;
    this.deps.logger.info({ job: job.id }, "identical request: reusing the shared job instead of a new paid call");
    return { ...result, reused_job: true, caveats: [...result.caveats, reusedCaveat(job)] };
  }

  /** Runs a shared job this replica took from the queue: prepared again from its arguments, then generated. */
  async runShared(payload: GenerationPayload, ctx: JobContext): Promise<GenerationResult> {
    const { deps } = this;
    const defaults = { model: deps.defaultModel, responsesModel: deps.defaultResponsesModel, profile: deps.profile };
    const prepare = (args: GenerateArgs) =>
      prepareGeneration(args, defaults, deps.workspace, { workspaceOnly: payload.workspaceOnly });
    const plan = await planStrategy(payload.args, payload.strategy ?? "native", prepare);
    const base = {
      jobId: ctx.jobId,
      filename: payload.filename ?? undefined,
      provider: deps.provider,
      warmPreview: payload.warmPreview,
    };
    return runStrategy(plan, base, deps, ctx);
  }

  private checkCapacity(): void {
    const { deps } = this;
    const active = deps.jobs.running().length + this.preparing;
    if (active >= deps.maxActiveJobs) {
      throw new BusyError(
        `${active} generations are running, queued or reading their input files (the limit is ${deps.maxActiveJobs}: PIXELWRIGHT_MAX_CONCURRENCY + PIXELWRIGHT_MAX_QUEUED); nothing was read or sent.`,
        30,
      );
    }
  }

  private about({ req }: PreparedGeneration): { label: string; typical: string } {
    const label = `rendering ${req.wireSize}${req.n > 1 ? ` x${req.n}` : ""} ${req.quality}`;
    const slow = (req.width ?? 0) * (req.height ?? 0) > EXPERIMENTAL_PIXELS;
    const typical = this.deps.offline
      ? "the offline simulator usually answers within seconds"
      : slow
        ? "usually 60-180 s"
        : "usually 10-60 s";
    return { label, typical };
  }

  private start(key: string, plan: StrategyPlan, options: GenerateOptions): Job<GenerationResult> {
    const { deps } = this;
    const job = deps.jobs.start(key, this.about(chosen(plan)), (ctx) =>
      runStrategy(
        plan,
        {
          jobId: ctx.jobId,
          filename: options.filename,
          provider: deps.provider,
          warmPreview: options.warmPreview ?? false,
        },
        deps,
        ctx,
      ),
    );
    rememberRequest(job, jobRequest(plan.native));
    return job;
  }

  /**
   * Waits for a job (by id) and reports it exactly like a completed generate_image, its files measured again from
   * the disk (a later process collects it from its record in the workspace).
   */
  async collect(jobId: string, options: WaitOptions): Promise<GenerationResult> {
    const job = this.deps.cluster ? null : this.deps.jobs.get(jobId);
    const result = this.deps.cluster
      ? await this.collectShared(this.deps.cluster, jobId, options)
      : job
        ? await this.await(job, options)
        : await recoverJob(this.deps.workspace, jobId);
    if (result?.status === "completed") {
      const format = result.requested.output_format || null;
      const images = await Promise.all(result.images.map((image) => remeasure(this.deps.workspace, image, format)));
      return { ...result, images };
    }
    if (result) return result;
    throw new InputError(
      `no job "${jobId}" is known: it may be from another server process whose images were never saved. Check the workspace (${this.deps.workspace.root}) or generate again.`,
      "job_id",
    );
  }

  private async collectShared(cluster: GenerationCluster, jobId: string, options: WaitOptions) {
    const job: SharedJob<GenerationResult> | null = JOB_ID.test(jobId) ? await cluster.get(jobId) : null;
    // A job whose replica lost Redis after saving its images is complete in the workspace: that record wins.
    if (!job || job.lost) {
      const recovered = await recoverJob(this.deps.workspace, jobId);
      if (recovered) return recovered;
    }
    if (job) return awaitShared(cluster, job, options, this.sharedView());
    throw new InputError(
      `no job "${jobId}" is known to any replica, and the workspace (${this.deps.workspace.root}) has no record of it: generate again.`,
      "job_id",
    );
  }

  private await(job: Job<GenerationResult>, options: WaitOptions): Promise<GenerationResult> {
    return awaitJob(this.deps.jobs, job, options, this.view());
  }

  private sharedView() {
    return { ...this.view(), recover: (jobId: string) => recoverJob(this.deps.workspace, jobId) };
  }

  private view() {
    return { provider: this.deps.provider, offline: this.deps.offline };
  }

  /** A job as a result: finished jobs give their result; running ones say how to collect them. */
  snapshot(job: Job<GenerationResult>): GenerationResult {
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
    this.checkCapacity();
    this.preparing++;
    try {
      return await verifyPath(this.deps.workspace, path, { expectedSize, expectedFormat }, workspaceOnly);
    } finally {
      this.preparing--;
    }
  }
}
