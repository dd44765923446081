// A caller attached to a generation job: progress and heartbeats while it waits with a deadline, and the job as a
// result — finished jobs give their result; running ones say how to collect them.

import { basename } from "node:path";
import { generationResult, NO_REQUEST, type ResultIdentity } from "../contract/results.js";
import type { GenerationResult } from "../contract/schemas.js";
import { JobFailedError, UpstreamError } from "../errors.js";
import type { Job, JobProgress, JobRegistry } from "../jobs/registry.js";
import { imageUri } from "./generate/save.js";

export const MAX_WAIT_SECONDS = 600;
const HEARTBEAT_MS = 4000;

export interface WaitOptions {
  waitSeconds: number;
  signal?: AbortSignal;
  /** Receives job progress and heartbeats while the caller waits. */
  onProgress?: (update: JobProgress) => void;
}

/** What a result is built from: an in-process job or a shared one (jobs/cluster.ts). */
export type JobState = Pick<
  Job<GenerationResult>,
  | "id"
  | "status"
  | "label"
  | "typical"
  | "createdAt"
  | "finishedAt"
  | "result"
  | "error"
  | "endReason"
  | "progress"
  | "partials"
>;

export interface JobView {
  provider: string;
  offline: boolean;
}

export function progressMessage(job: JobState, latest?: string): string {
  const elapsed = Math.round((Date.now() - job.createdAt) / 1000);
  const state = job.status === "queued" ? "queued" : job.label;
  const detail = latest && !latest.startsWith(job.label) ? ` (${latest})` : "";
  return `${state} — ${elapsed} s elapsed, ${job.typical}${detail} (job_id ${job.id})`;
}

/** What a job was asked for, so a running or failed job reports its real model, route and requested size. */
export type JobRequest = Omit<ResultIdentity, "job_id" | "provider">;
const requests = new Map<string, JobRequest>();
const REMEMBERED = 1000;

export function rememberRequest(job: JobState, request: JobRequest): void {
  requests.set(job.id, request);
  // Oldest first: keep the last thousand (older finished jobs answer from their own result or record).
  for (const id of requests.keys()) {
    if (requests.size <= REMEMBERED) break;
    requests.delete(id);
  }
}

/** A job as a result: finished jobs give their result; running ones say how to collect them. */
export function snapshot(job: JobState, view: JobView): GenerationResult {
  if (job.status === "completed" && job.result) return job.result;
  const identity = {
    job_id: job.id,
    provider: view.provider,
    ...(requests.get(job.id) ?? {
      route: "images" as const,
      endpoint: "/v1/images/generations",
      model: "",
      requested: NO_REQUEST,
    }),
  };
  const caveats = view.offline ? ["Offline simulator: no model is called."] : [];
  if (job.error instanceof JobFailedError) return job.error.result as GenerationResult;
  if (job.status === "failed" || job.status === "cancelled") {
    const err = job.error;
    const requestId = err instanceof UpstreamError ? (err.details.requestId ?? null) : null;
    const message =
      job.status === "cancelled"
        ? `the job was cancelled before its request was sent (${job.endReason ?? "cancelled"}); nothing was paid and no file was written.`
        : `${err instanceof Error ? err.message : String(err)}${requestId ? ` (request id ${requestId})` : ""}`;
    return generationResult("failed", identity, {
      caveats,
      message,
      request_ids: requestId ? [requestId] : [],
      elapsed_ms: (job.finishedAt ?? Date.now()) - job.createdAt,
      next: job.status === "cancelled" ? "Call generate_image again to start over." : null,
    });
  }
  return generationResult("running", identity, {
    caveats,
    message: progressMessage(job),
    ...(job.partials.length ? { partial_images: job.partials.map((p) => imageUri(basename(p.path))) } : {}),
    elapsed_ms: Date.now() - job.createdAt,
    next: `Call verify_image with job_id "${job.id}" (and wait_seconds up to ${MAX_WAIT_SECONDS}) to wait for and verify the result. Do not call generate_image again: that would pay twice.`,
  });
}

/** Sends progress to one waiting caller: at once, on every job update, and as a heartbeat. */
function follow(jobs: JobRegistry<GenerationResult>, job: Job<GenerationResult>, send: (u: JobProgress) => void) {
  // The first notification goes out at once, so the client knows work started.
  send({ ...job.progress, message: progressMessage(job) });
  const unsubscribe = jobs.subscribe(job, (update) =>
    send({ ...update, message: update.partial ? update.message : progressMessage(job, update.message) }),
  );
  const heartbeat = setInterval(() => send({ ...job.progress, message: progressMessage(job) }), HEARTBEAT_MS);
  return () => {
    clearInterval(heartbeat);
    unsubscribe();
  };
}

/**
 * Waits for a job up to the caller's deadline. A caller that leaves (a cancel, or the client's own timeout, which
 * sends the same notification) cancels the job only while its request is unsent and nobody else shares it; a sent
 * request is paid for, so the job detaches: it finishes, saves, records, and stays collectable by job_id and path.
 */
export async function awaitJob(
  jobs: JobRegistry<GenerationResult>,
  job: Job<GenerationResult>,
  options: WaitOptions,
  view: JobView,
): Promise<GenerationResult> {
  const waitMs = Math.min(MAX_WAIT_SECONDS, Math.max(0, options.waitSeconds)) * 1000;
  job.attachments++;
  const stop = options.onProgress ? follow(jobs, job, options.onProgress) : () => {};
  try {
    const done = await jobs.wait(job, waitMs, options.signal);
    if (!done && options.signal?.aborted && job.attachments === 1 && !job.sent) {
      jobs.cancel(job, "cancelled by the client");
      await jobs.wait(job, 5000);
    }
    return snapshot(job, view);
  } finally {
    stop();
  }
}
