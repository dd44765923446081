// A caller attached to a generation job in the book — whichever process runs it: progress and heartbeats while it
// waits with a deadline, and the job as a result. Finished jobs give their result; running ones say how to collect
// them; a job whose worker was lost with its request in flight says it may have been billed, with what was asked.

import { basename } from "node:path";
import { generationResult, NO_REQUEST } from "../contract/results.js";
import { type GenerationResult, GenerationResultSchema } from "../contract/schemas.js";
import { type BookJob, isLive, type JobBook, type JobProgress, RUNNER_LOST } from "../jobs/book.js";
import { type JobRequest, parseJobRequest } from "./generate/payload.js";
import { imageUri } from "./generate/save.js";

export const MAX_WAIT_SECONDS = 600;
const HEARTBEAT_MS = 4000;
/** The least time between the notification of a partial image and the result that follows it. */
const PARTIAL_GAP_MS = 100;
/** How often a waiter makes sure its job has a live worker (reaps dead ones, starts a runner for a queued job). */
const LIVENESS_MS = 2000;

export interface WaitOptions {
  waitSeconds: number;
  /** The caller left (a cancel, or its own timeout): an unsent job only it waited for is cancelled. */
  signal?: AbortSignal;
  /** This server stops waiting (it is shutting down): the caller gets the job as it is, and the job goes on. */
  release?: AbortSignal;
  /** Receives job progress and heartbeats while the caller waits. */
  onProgress?: (update: JobProgress) => void;
  /** The job_id the caller knows, when the job waited for works for it (a look at its batch): progress names it. */
  shownAs?: string;
}

export interface JobView {
  provider: string;
  offline: boolean;
  /** Running jobs allowed at once (PIXELWRIGHT_MAX_CONCURRENCY): a queued job beyond it is said to be queued. */
  concurrency?: number;
}

/** Keeps a waited-for job moving: reaps jobs of dead workers and wakes a worker for a queued one. */
export type Liveness = (job: BookJob) => Promise<void>;

/**
 * The sentence of a progress notification. `full`: the job waits because the concurrency limit is reached (a job
 * merely not picked up yet is starting, not queued).
 */
export function progressMessage(job: BookJob, latest?: string, full = false, shownAs = job.id): string {
  const elapsed = Math.round((Date.now() - job.createdAt) / 1000);
  const state = (job.status === "queued" && full) || job.slotWait ? "queued" : job.label;
  const detail = latest && !latest.startsWith(job.label) ? ` (${latest})` : "";
  return `${state} — ${elapsed} s elapsed, ${job.typical}${detail} (job_id ${shownAs})`;
}

/** What a job was asked for (its model, route and requested size), also when it has no result. */
function identity(job: BookJob, view: JobView) {
  const request: JobRequest | null = parseJobRequest(job.request);
  return {
    job_id: job.id,
    provider: view.provider,
    route: request?.route ?? ("images" as const),
    endpoint: request?.endpoint ?? "/v1/images/generations",
    model: request?.model ?? "",
    requested: request?.requested ?? NO_REQUEST,
    cost_estimate_usd: request?.cost_estimate_usd ?? null,
    strategy: request?.strategy ?? ("native" as const),
  };
}

/** A job whose worker was lost with its request in flight: failed, may have been billed, never re-sent. */
export function lostResult(job: BookJob, view: JobView): GenerationResult {
  const { cost_estimate_usd, strategy, ...who } = identity(job, view);
  return generationResult("failed", who, {
    caveats: view.offline ? ["Offline simulator: no model is called."] : [],
    strategy,
    message: `${RUNNER_LOST}: the request was sent, so it may have been billed, and it is not sent again. If its image arrives after all, verify_image with job_id "${job.id}" returns it.`,
    failure: { reason: RUNNER_LOST, request_id: null, may_have_been_billed: true },
    cost_estimate_usd,
    elapsed_ms: (job.finishedAt ?? Date.now()) - job.createdAt,
    next: `Call verify_image with job_id "${job.id}" later to see whether it completed; generate again with fresh: true only if you accept paying twice.`,
  });
}

/** A job as a result: finished jobs give their result; running ones say how to collect them. */
export function snapshot(job: BookJob, view: JobView): GenerationResult {
  const parsed = job.result === null ? null : GenerationResultSchema.safeParse(job.result);
  if (parsed?.success && (job.status === "completed" || job.status === "failed")) return parsed.data;
  const { cost_estimate_usd, strategy, ...who } = identity(job, view);
  const caveats = view.offline ? ["Offline simulator: no model is called."] : [];
  if (job.status === "failed" && job.lost) return lostResult(job, view);
  if (job.status === "cancelled") {
    return generationResult("failed", who, {
      caveats,
      strategy,
      message: `the job was cancelled before its request was sent (${job.endReason ?? "cancelled"}); nothing was paid and no file was written.`,
      elapsed_ms: (job.finishedAt ?? Date.now()) - job.createdAt,
      next: "Call generate_image again to start over.",
    });
  }
  if (job.status === "failed" || job.status === "completed") {
    return generationResult("failed", who, {
      caveats,
      strategy,
      message: job.endReason ?? "the job ended without a readable result",
      cost_estimate_usd,
      elapsed_ms: (job.finishedAt ?? Date.now()) - job.createdAt,
    });
  }
  return generationResult("running", who, {
    caveats,
    strategy,
    message: progressMessage(job),
    ...(job.partials.length ? { partial_images: job.partials.map((p) => imageUri(basename(p.path))) } : {}),
    cost_estimate_usd,
    elapsed_ms: Date.now() - job.createdAt,
    next: `Call verify_image with job_id "${job.id}" (and wait_seconds up to ${MAX_WAIT_SECONDS}) to wait for and verify the result. Do not call generate_image again: that would pay twice.`,
  });
}

/**
 * Waits until the job ends, the deadline passes or the caller leaves; meanwhile forwards its progress (and a
 * heartbeat) and keeps it alive. Resolves with the job as it is then.
 */
export function waitForEnd(
  book: JobBook,
  first: BookJob,
  ms: number,
  options: {
    signal?: AbortSignal | undefined;
    release?: AbortSignal | undefined;
    send?: (u: JobProgress) => void;
    liveness: Liveness;
    concurrency?: number;
    /** The job_id progress names (WaitOptions.shownAs); the job's own by default. */
    shownAs?: string | undefined;
  },
): Promise<BookJob> {
  return new Promise((resolve) => {
    let latest = first;
    let lastProgress = first.progress.progress;
    let full = false;
    const timers: NodeJS.Timeout[] = [];
    let stop = () => {};
    const done = () => {
      stop();
      for (const t of timers) clearInterval(t);
      options.signal?.removeEventListener("abort", done);
      options.release?.removeEventListener("abort", done);
      resolve(latest);
    };
    // Whether a queued job waits for the limit (said "queued") or is merely being picked up (said "starting").
    const limitFull = async () => {
      if (latest.status !== "queued" || options.concurrency === undefined) return false;
      return (await book.running().catch(() => 0)) >= options.concurrency;
    };
    const tell = (job: BookJob, message: string) => options.send?.({ ...job.progress, message });
    // Changes can arrive coalesced (another process wrote twice before we looked): every partial image is still told.
    let told = first.partials.length;
    let partialToldAt = 0;
    const seen = (job: BookJob) => {
      latest = job;
      for (const partial of job.partials.slice(told)) {
        tell(job, partial.message ?? `partial image ${partial.index + 1} received`);
        partialToldAt = Date.now();
      }
      told = Math.max(told, job.partials.length);
      if (options.send && job.progress.progress > lastProgress) {
        lastProgress = job.progress.progress;
        const { progress } = job;
        if (!progress.partial) tell(job, progressMessage(job, progress.message, full, options.shownAs));
      }
      if (isLive(job)) return;
      // SDK clients handle a notification a tick after a response read in the same chunk, and drop it once the call
      // has ended: a partial image told just now goes out a moment before the result.
      if (Date.now() - partialToldAt < PARTIAL_GAP_MS) setTimeout(done, PARTIAL_GAP_MS);
      else done();
    };
    const heartbeat = async () => {
      full = await limitFull();
      tell(latest, progressMessage(latest, undefined, full, options.shownAs));
    };
    // A job that has ended is told by its result alone: no "rendering" line for a finished job.
    if (options.send && isLive(first)) void heartbeat();
    if (!isLive(first) || ms <= 0 || options.signal?.aborted || options.release?.aborted) return done();
    stop = book.watch(first.id, seen);
    // It may have changed between reading it and watching it.
    void book.get(first.id).then((job) => job && seen(job));
    timers.push(setTimeout(done, ms));
    if (options.send) timers.push(setInterval(() => void heartbeat(), HEARTBEAT_MS));
    timers.push(setInterval(() => void options.liveness(latest).catch(() => {}), LIVENESS_MS));
    options.signal?.addEventListener("abort", done, { once: true });
    options.release?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Waits for a job up to the caller's deadline. A caller that leaves (a cancel, or the client's own timeout, which
 * sends the same notification) cancels the job only while its request is unsent and nobody else shares it; a sent
 * request is paid for, so the job detaches: it finishes, saves, records, and stays collectable by job_id and path.
 */
export async function awaitJob(
  book: JobBook,
  job: BookJob,
  options: WaitOptions,
  view: JobView,
  liveness: Liveness,
): Promise<GenerationResult> {
  const waitMs = Math.min(MAX_WAIT_SECONDS, Math.max(0, options.waitSeconds)) * 1000;
  const attachments = await book.attach(job.id);
  let latest = await waitForEnd(book, job, waitMs, {
    signal: options.signal,
    release: options.release,
    ...(options.onProgress ? { send: options.onProgress } : {}),
    ...(view.concurrency !== undefined ? { concurrency: view.concurrency } : {}),
    liveness,
  });
  if (isLive(latest) && options.signal?.aborted && attachments === 1 && !latest.sent) {
    const after = await book.cancel(job.id, "cancelled by the client");
    latest = after ?? latest;
    if (isLive(latest)) latest = await waitForEnd(book, latest, 5000, { liveness });
  }
  return snapshot(latest, view);
}
