// The worker's side of a generation job, wherever it runs (a detached runner, the HTTP server, a replica): the
// payload parsed, the request prepared again from the workspace alone (its inputs are staged copies there), run with
// every paid step reserved, and the job's end recorded — including a job whose worker was lost mid-request.

import { endpointPath, type GenerateArgs, type ProfileLimits, requestedOf } from "../../contract/request.js";
import { generationResult } from "../../contract/results.js";
import type { GenerationResult, Strategy } from "../../contract/schemas.js";
import { asPixelwrightError, InternalError, JobFailedError } from "../../errors.js";
import type { BookJob, JobOutcome } from "../../jobs/book.js";
import type { JobContext } from "../../jobs/worker.js";
import { removeStaged } from "../../workspace/state.js";
import { lostResult } from "../wait.js";
import { GenerationPayloadSchema, type JobRequest, parseJobRequest, parsePayload } from "./payload.js";
import { type PreparedGeneration, prepareGeneration } from "./prepare.js";
import { writeJobRecord } from "./record.js";
import type { GenerationDeps } from "./run.js";
import { planStrategy, runStrategy, type StrategyPlan } from "./strategy.js";

export interface WorkDeps extends GenerationDeps {
  provider: string;
  defaultModel: string;
  defaultResponsesModel: string;
  profile: ProfileLimits;
}

/** What a running or failed job reports about its request (kept in the book beside the job). */
export function jobRequest({ req, inputs }: PreparedGeneration, strategy: Strategy): JobRequest {
  return {
    strategy,
    route: req.route,
    endpoint: endpointPath(req.route, inputs.references.length > 0),
    model: req.model.id,
    requested: requestedOf(req),
    cost_estimate_usd: req.cost.usd,
  };
}

/** What a strategy sends first: the master for strategy master, the requested size otherwise. */
export function chosen(plan: StrategyPlan): PreparedGeneration {
  return plan.strategy === "master" && plan.master ? plan.master : plan.native;
}

const SENT =
  "its request had been sent, so it may have been billed (what it saved is in the workspace and jobs.jsonl).";

/** The worker's half of the generation jobs: run, settle, clean up, and record the lost. */
export class GenerationWork {
  /** Reservations of first attempts not used yet, per job running here: released when the job ends. */
  private readonly unused = new Map<string, string[]>();

  constructor(private readonly deps: WorkDeps) {}

  async run(job: BookJob, ctx: JobContext): Promise<GenerationResult> {
    const { deps } = this;
    const payload = parsePayload(job.payload);
    const defaults = { model: deps.defaultModel, responsesModel: deps.defaultResponsesModel, profile: deps.profile };
    // The workspace only: what a worker may read comes from its own configuration, never from the queue.
    const prepare = (args: GenerateArgs) =>
      prepareGeneration(args, defaults, deps.workspace, { workspaceOnly: true, resolvedEdit: payload.edit });
    const plan = await planStrategy(payload.args, payload.strategy, prepare, false);
    const admitted = [...payload.admitted];
    this.unused.set(job.id, admitted);
    return runStrategy(
      plan,
      {
        jobId: job.id,
        filename: payload.filename ?? undefined,
        provider: deps.provider,
        warmPreview: payload.warmPreview,
        admitted,
      },
      deps,
      ctx,
    );
  }

  /** How a job whose work threw ends: its failed result (with every attempt), or cancelled before sending. */
  settle(job: BookJob, err: unknown, abortReason: string | null): JobOutcome {
    if (err instanceof JobFailedError) return { status: "failed", result: err.result, endReason: err.message };
    if (abortReason !== null && !job.sent) return { status: "cancelled", result: null, endReason: abortReason };
    const typed = asPixelwrightError(err);
    if (typed instanceof InternalError) {
      this.deps.logger.error({ err, incident: typed.incidentId, job: job.id }, "a job failed unexpectedly");
    }
    const message = typed instanceof InternalError ? `Internal error (incident ${typed.incidentId})` : typed.message;
    return { status: "failed", result: this.failedResult(job, message), endReason: message };
  }

  /** A job that ended with an error of its own: whether it had sent a request decides what its result may promise. */
  private failedResult(job: BookJob, message: string): GenerationResult {
    // The payload may be what failed: read what it says without trusting its shape.
    const args = ((job.payload as { args?: unknown } | null)?.args ?? {}) as { route?: unknown; model?: unknown };
    const payload = {
      args: {
        route: args.route === "responses" ? ("responses" as const) : undefined,
        model: typeof args.model === "string" ? args.model : undefined,
      },
    };
    const request = parseJobRequest(job.request);
    return generationResult(
      "failed",
      {
        job_id: job.id,
        provider: this.deps.provider,
        route: request?.route ?? payload.args.route ?? "images",
        endpoint: request?.endpoint ?? "/v1/images/generations",
        model: request?.model ?? payload.args.model ?? "",
        requested: request?.requested ?? { size: "", quality: "", output_format: "", background: null, n: 0 },
      },
      {
        caveats: this.deps.offline ? ["Offline simulator: no model is called."] : [],
        message: `${message.replace(/\.$/, "")}; ${job.sent ? SENT : "nothing was sent."}`,
        cost_estimate_usd: request?.cost_estimate_usd ?? null,
        failure: { reason: message, request_id: null, may_have_been_billed: job.sent },
        elapsed_ms: Date.now() - job.createdAt,
        strategy: request?.strategy ?? "native",
        next: job.sent
          ? "Check jobs.jsonl and the workspace for what the sent request saved before calling generate_image again."
          : "Fix what the message names, then call generate_image again.",
      },
    );
  }

  /** After a job ended here for good: its unused reservations freed, its staged inputs removed. */
  async ended(job: BookJob): Promise<void> {
    const unused = this.unused.get(job.id) ?? [];
    this.unused.delete(job.id);
    if (this.deps.spend && unused.length) await this.deps.spend.releaseUnused(unused);
    await this.cleanup(job);
  }

  /** A job cancelled while queued (no worker took it): everything it was admitted with is freed. */
  async cancelled(job: BookJob): Promise<void> {
    const admitted = GenerationPayloadSchema.safeParse(job.payload).data?.admitted ?? [];
    if (this.deps.spend && admitted.length) await this.deps.spend.releaseUnused(admitted);
    await this.cleanup(job);
  }

  /** A job whose worker was lost with its request in flight: one jobs.jsonl line (may have been billed). */
  async lost(job: BookJob): Promise<void> {
    const result = lostResult(job, { provider: this.deps.provider, offline: this.deps.offline });
    // A write that fails is logged at error level there: nobody may be waiting to read it in a result.
    await writeJobRecord(result, this.deps.workspace, { attempts: 1, mayHaveBeenBilled: 1 }, this.deps.logger);
    await this.cleanup(job);
  }

  private async cleanup(job: BookJob): Promise<void> {
    const staged = (job.payload as { staged?: unknown } | null)?.staged;
    if (typeof staged === "string") await removeStaged(this.deps.workspace, staged);
  }
}
