// The work of one generation job, as steps: call the upstream, keep what is an image, save and measure each one,
// build the result, write the production record. Whatever happens after a request was sent is recorded: a job that
// fails writes its record too (every attempt, its request id, whether it may have been billed).

import { costFromUsage } from "../../contract/cost.js";
import { completedNext, failureNext } from "../../contract/next.js";
import { endpointPath, imagesApiBody, requestedOf, type ValidatedRequest } from "../../contract/request.js";
import { generationResult, type ResultIdentity } from "../../contract/results.js";
import type { GenerationResult, ImageReport, Strategy } from "../../contract/schemas.js";
import {
  AbortedError,
  asPixelwrightError,
  errorMessage,
  JobFailedError,
  SpendRefusedError,
  UpstreamError,
} from "../../errors.js";
import type { JobContext } from "../../jobs/worker.js";
import type { Logger } from "../../log.js";
import type { Upstream, UpstreamOutcome } from "../../upstream/index.js";
import type { ImageCall, SendStep, SendTicket } from "../../upstream/types.js";
import type { Workspace } from "../../workspace/workspace.js";
import type { SpendGuard } from "../spend-guard.js";
import { AttemptLog, type AttemptMark } from "./attempts.js";
import type { PreparedInputs } from "./prepare.js";
import { type ImageTurn, writeJobRecord, writeRecords } from "./record.js";
import { type DecodedImage, PartialImages, saveAndMeasure, usableImages } from "./save.js";

/** The error code of an answer that held no usable image (auto answers it with a master). */
export const NO_USABLE_IMAGE = "no_usable_image";

export interface GenerationDeps {
  upstream: Upstream;
  workspace: Workspace;
  logger: Logger;
  offline: boolean;
  /** The spend ledger: every paid step reserves before it is sent (absent: nothing is reserved, e.g. in unit tests). */
  spend?: SpendGuard | undefined;
}

export interface GenerationJobInput {
  jobId: string;
  req: ValidatedRequest;
  inputs: PreparedInputs;
  filename: string | undefined;
  provider: string;
  /** The caller will want the default preview: start encoding it while the file is written and measured. */
  warmPreview?: boolean;
  /** What every image and record of this run states: native unless a strategy says otherwise. */
  decision?: string;
  /** Responses route: a follow-up turn of the answer that made the edited image (edit_of). */
  followUp?: { previousResponseId: string } | undefined;
  /**
   * Reservations made when the call was admitted, one per parallel call of the first attempt: consumed as those go
   * out (a run that needs more, such as auto's master, reserves anew).
   */
  admitted?: string[];
  /** The job's attempts so far: shared by every run of a strategy, so each result counts all of them. */
  attempts?: AttemptLog;
  /** What the caller asked, when a strategy runs this (default: native, as prepared). */
  asked?: Asked;
}

/** What the caller asked of a strategy: every result of its runs says this, whichever run it came from. */
export interface Asked {
  strategy: Strategy;
  caveats: string[];
  /** The size the caller asked for (a master run makes a smaller one); null: the run's own. */
  size: string | null;
  /** What a failed run says was done (default: its decision). */
  decisionIfFailed?: string;
}

function imageCall({ req, inputs, followUp }: GenerationJobInput): ImageCall {
  const guide = { ...(inputs.mask ? { mask: inputs.mask } : {}), ...(inputs.markup ? { markup: inputs.markup } : {}) };
  const edit = inputs.references.length > 0 ? { images: inputs.references, ...guide } : null;
  return {
    route: req.route,
    responsesModel: req.responsesModel,
    body: imagesApiBody(req),
    partialImages: req.partialImages,
    ...(edit ? { edit } : {}),
    ...(followUp ? { followUp } : {}),
  };
}

function identityOf(input: GenerationJobInput): ResultIdentity {
  const { req } = input;
  return {
    job_id: input.jobId,
    provider: input.provider,
    route: req.route,
    endpoint: endpointPath(req.route, input.inputs.references.length > 0),
    model: req.model.id,
    requested: requestedOf(req),
  };
}

/** The ledger entry of one paid step: the admitted reservation for a first attempt, else a new one. */
async function chargeStep(
  input: GenerationJobInput,
  deps: GenerationDeps,
  ctx: JobContext,
  step: SendStep,
  attempts: AttemptLog,
): Promise<SendTicket | undefined> {
  const { spend } = deps;
  if (!spend) return undefined;
  const { req } = input;
  const admitted = step.attempt === 0 ? input.admitted?.shift() : undefined;
  const what =
    step.attempt > 0 ? `retry ${step.attempt}` : input.decision?.startsWith("fallback") ? "the fallback" : "attempt 1";
  const name = step.of > 1 ? `${what} of call ${step.slot + 1} of ${step.of}` : what;
  const charge = await spend
    .step(ctx.jobId, {
      step: name,
      usdPerCall: req.cost.usd === null ? null : req.cost.usd / step.of,
      images: Math.max(1, Math.round(req.n / step.of)),
      admitted,
    })
    .catch((err: unknown) => {
      // The failed attempt this step would have followed stays listed, saying its step was not sent.
      if (err instanceof SpendRefusedError) attempts.refused(step.attempt, name);
      throw err;
    });
  return {
    done: (outcome) => {
      if (outcome.billed === "no") return charge.notBilled();
      if (outcome.billed === "unknown") return charge.unknown();
      return charge.billed(outcome.usage ? costFromUsage(req.model, outcome.usage) : null);
    },
  };
}

/** Step 1: the paid call, with progress for queueing, retries and partial images. */
async function callUpstream(
  input: GenerationJobInput,
  deps: GenerationDeps,
  ctx: JobContext,
  partials: PartialImages,
  attempts: AttemptLog,
): Promise<UpstreamOutcome> {
  const { req, provider } = input;
  const sizeLabel = req.wireSize === req.size.size ? req.wireSize : `${req.wireSize} (${req.size.size})`;
  ctx.report(`sending ${sizeLabel} ${req.quality} to ${provider}`);
  return deps.upstream.generate(imageCall(input), req.n, {
    signal: ctx.signal,
    onSending: async (step) => {
      // Reserve first: a step the cap refuses is never sent, and the job is not marked sent for it.
      const ticket = await chargeStep(input, deps, ctx, step, attempts);
      try {
        await ctx.markSent();
      } catch (err) {
        await ticket?.done({ billed: "no" }); // not sent: its reservation frees its room
        throw err;
      }
      attempts.sent++;
      // The job's log hears what the ledger hears: the result says what the ledger keeps.
      return {
        done: async (outcome) => {
          attempts.settled(outcome);
          await ticket?.done(outcome);
        },
      };
    },
    onRequestId: (id) => attempts.requestIds.push(id),
    onQueued: (queued) => {
      ctx.setStatus(queued ? "queued" : "running");
      if (queued) ctx.report("queued: waiting for a free upstream slot (PIXELWRIGHT_MAX_CONCURRENCY)");
    },
    onRetry: (retry) => {
      attempts.retry(retry);
      ctx.report(`retry ${retry.attempt} after ${retry.reason}, waiting ${Math.round(retry.delay_ms / 100) / 10} s`);
    },
    onPartial: (partial) => {
      partials.add(partial.index, partial.bytes, ctx.signal.aborted, (path) =>
        ctx.report(`partial image ${partial.index + 1} of ${req.partialImages} received`, {
          index: partial.index,
          path,
        }),
      );
    },
  });
}

/** The caveats every completed result carries: the request's own, dropped images, offline, short deliveries. */
function outcomeCaveats(
  input: GenerationJobInput,
  outcome: UpstreamOutcome,
  problems: string[],
  offline: boolean,
): string[] {
  const { req, provider } = input;
  const rid = outcome.requestIds.join(", ") || "none";
  const caveats = [...req.caveats, ...outcome.notes];
  for (const failure of outcome.failures) caveats.push(`One of the parallel requests failed: ${failure}`);
  for (const problem of problems) caveats.push(`Dropped: ${problem} (request ids ${rid}).`);
  if (offline) {
    const real = req.cost.usd === null ? "" : ` (a real call would cost about $${req.cost.usd.toFixed(4)})`;
    caveats.push(
      `Offline simulator: no model was called and nothing was paid${real}; the image is a placeholder of the requested size. Set OPENAI_API_KEY to generate real images.`,
    );
  }
  if (outcome.images.length < req.n) {
    caveats.push(`Requested ${req.n} images but ${provider} returned ${outcome.images.length}.`);
  }
  return caveats;
}

/**
 * Step 2: saves and measures each image. A save that fails loses that image (said in a caveat); everything after
 * the save (measuring, preview) is reported next to the image instead of failing it. Each saved image keeps its
 * place among the images handed over (`origins`), to name the answer that made it.
 */
async function saveAll(
  input: GenerationJobInput,
  deps: GenerationDeps,
  decoded: DecodedImage[],
  base: string,
  caveats: string[],
): Promise<{ images: ImageReport[]; origins: number[] }> {
  const { req, provider } = input;
  const options = {
    workspace: deps.workspace,
    req,
    base,
    count: decoded.length,
    warmPreview: input.warmPreview ?? false,
  };
  const images: ImageReport[] = [];
  const origins: number[] = [];
  for (const [i, image] of decoded.entries()) {
    let report: ImageReport;
    try {
      report = { ...(await saveAndMeasure(image, i, options)), decision: input.decision ?? "native" };
    } catch (err) {
      caveats.push(`Image ${i + 1} arrived (paid) but could not be saved: ${errorMessage(err)}.`);
      deps.logger.error({ err, job: input.jobId }, "a paid image could not be saved");
      continue;
    }
    if (!report.verified && report.requested_size !== null && report.mismatch) {
      caveats.push(`${report.mismatch} Delivered by ${provider}; the file is kept, but it is not what was asked for.`);
    }
    images.push(report);
    origins.push(image.at);
  }
  return { images, origins };
}

/**
 * The Responses answer and image call that made each saved image (what a later follow-up turn continues): known when
 * every image came from its own answer (the Responses tool makes one image per call).
 */
function turnsOf(outcome: UpstreamOutcome, origins: number[]): ImageTurn[] {
  const count = outcome.images.length;
  const byResponse = outcome.responseIds.length === count;
  const byCall = outcome.callIds.length === count;
  return origins.map((at) => ({
    response_id: byResponse ? (outcome.responseIds[at] ?? null) : null,
    image_call_id: byCall ? (outcome.callIds[at] ?? null) : null,
  }));
}

/** A job that failed after sending: a failed result with every attempt, written to the job record, then thrown. */
async function failed(
  input: GenerationJobInput,
  deps: GenerationDeps,
  err: unknown,
  run: { attempts: AttemptLog; mark: AttemptMark },
  elapsedMs: number,
): Promise<unknown> {
  const { attempts } = run;
  if (err instanceof AbortedError && attempts.sent === 0) return err;
  const typed = asPixelwrightError(err);
  const details = typed instanceof UpstreamError ? typed.details : { retryable: false };
  // The failing step's own request id: a step the cap refused was never sent, and an earlier attempt's id is not its.
  const requestId = typed instanceof SpendRefusedError ? null : (details.requestId ?? null);
  const reason = typed.message;
  // Any attempt of the job, not only the last: the ledger keeps every one that may have been billed.
  const mayHaveBeenBilled = attempts.mayHaveBeenBilled > 0;
  const { asked } = input;
  const identity = identityOf(input);
  // A failed master run reports the size the caller asked for, as a completed one does.
  const requested = asked?.size ? { ...identity.requested, size: asked.size } : identity.requested;
  const result = generationResult(
    "failed",
    { ...identity, requested },
    {
      caveats: [...(asked?.caveats ?? []), ...(deps.offline ? ["Offline simulator: no model is called."] : [])],
      message: `${reason.replace(/\.$/, "")}${requestId ? ` (request id ${requestId})` : ""}. ${attempts.summary()}`,
      request_ids: [...attempts.requestIds],
      retries: [...attempts.retries],
      cost_estimate_usd: input.req.cost.usd,
      failure: { reason, request_id: requestId, may_have_been_billed: mayHaveBeenBilled },
      elapsed_ms: elapsedMs,
      next: failureNext({
        message: reason,
        status: typed instanceof UpstreamError ? typed.details.status : undefined,
        code: typed instanceof UpstreamError ? typed.details.code : undefined,
        mayHaveBeenBilled,
        strategy: asked?.strategy,
      }),
      strategy: asked?.strategy ?? "native",
      decision: asked?.decisionIfFailed ?? input.decision ?? "native",
    },
  );
  // This run's own attempts: an earlier run of the job (auto's native) wrote its own line.
  const count = attempts.since(run.mark, true);
  const note = await writeJobRecord(result, deps.workspace, count, deps.logger);
  if (note) result.caveats.push(note);
  const billed = attempts.mayHaveBeenBilled;
  deps.logger.warn({ job: input.jobId, reason, request_id: requestId, may_have_been_billed: billed }, "job failed");
  return new JobFailedError(reason, { ...details, requestId }, result, { cause: err });
}

export async function runGeneration(
  input: GenerationJobInput,
  deps: GenerationDeps,
  ctx: JobContext,
): Promise<GenerationResult> {
  const { req, provider } = input;
  const { workspace } = deps;
  const base = workspace.newName(input.filename ?? req.prompt, "x").replace(/\.x$/, "");
  const partials = new PartialImages(workspace, base, deps.logger);
  const attempts = input.attempts ?? new AttemptLog();
  // From the job's first run: a fallback's result counts the time the native attempts took.
  const started = attempts.startedAt;
  const run = { attempts, mark: attempts.startRun() };
  try {
    const upstreamStarted = performance.now();
    let outcome: UpstreamOutcome;
    try {
      outcome = await callUpstream(input, deps, ctx, partials, attempts);
    } catch (err) {
      throw await failed(input, deps, err, run, Date.now() - started);
    }
    const upstreamMs = Math.round(performance.now() - upstreamStarted);
    // From here on the images are paid for: nothing discards them; the job completes and stays collectable.
    const { decoded, problems } = usableImages(outcome.images);
    const caveats = outcomeCaveats(input, outcome, problems, deps.offline);
    const { images, origins } = await saveAll(input, deps, decoded, base, caveats);
    if (images.length === 0) {
      const why = [...problems, ...caveats.filter((c) => c.startsWith("Image "))].join("; ");
      const err = new UpstreamError(`no usable image in the answer: ${why || "the answer held no images"}`, {
        retryable: false,
        code: NO_USABLE_IMAGE,
        requestId: outcome.requestIds[0] ?? null,
        provider,
        mayHaveBeenBilled: true,
      });
      throw await failed(input, deps, err, run, Date.now() - started);
    }
    const result = generationResult("completed", identityOf(input), {
      images,
      caveats,
      request_ids: [...attempts.requestIds],
      usage: outcome.usage as Record<string, unknown> | null,
      cost_estimate_usd: req.cost.usd,
      // The offline simulator costs nothing (its usage says what a real call would have billed).
      cost_usd: deps.offline ? 0 : outcome.usage ? costFromUsage(req.model, outcome.usage) : null,
      elapsed_ms: Date.now() - started,
      upstream_ms: upstreamMs,
      retries: [...attempts.retries],
      responses_model: req.route === "responses" ? req.responsesModel : null,
      response_ids: outcome.responseIds,
      image_call_ids: outcome.callIds,
      assistant_text: outcome.assistantText,
      strategy: input.asked?.strategy ?? "native",
      decision: input.decision ?? "native",
    });
    result.next = completedNext(result);
    const notes = await writeRecords(result, req, workspace, {
      offline: deps.offline,
      logger: deps.logger,
      turns: turnsOf(outcome, origins),
    });
    // Billed answers are in cost_usd; what may have been billed besides is counted.
    const count = attempts.since(run.mark, false);
    const jobNote = await writeJobRecord(result, workspace, count, deps.logger);
    result.caveats.push(...notes, ...(jobNote ? [jobNote] : []));
    return result;
  } finally {
    // Partial previews live only while the job runs (documented in the README).
    await partials.removeAll();
  }
}
