// Generation on jobs shared by several replicas (PIXELWRIGHT_REDIS_URL): the request travels as its arguments, the
// replica that takes the job prepares it again from the shared workspace and runs it, and any replica can wait for,
// follow and collect it. The local steps (refusals, dry runs, the dedupe key) are the same as on one server.

import type { GenerateArgs } from "../contract/request.js";
import type { GenerationResult, Strategy } from "../contract/schemas.js";
import type { JobCluster, SharedJob } from "../jobs/cluster.js";
import type { JobContext, JobProgress } from "../jobs/registry.js";
import { type JobView, MAX_WAIT_SECONDS, progressMessage, snapshot, type WaitOptions } from "./wait.js";

/** What a shared job carries: plain JSON, prepared again by whichever replica runs it. */
export interface GenerationPayload {
  args: GenerateArgs;
  filename: string | null;
  workspaceOnly: boolean;
  warmPreview: boolean;
  /** native when absent (payloads queued by an older replica). */
  strategy?: Strategy;
}

export type GenerationCluster = JobCluster<GenerationPayload, GenerationResult>;

const HEARTBEAT_MS = 4000;

/** Sends progress of a job that may run on another replica: at once, on every update, and as a heartbeat. */
function follow(cluster: GenerationCluster, first: SharedJob<GenerationResult>, send: (u: JobProgress) => void) {
  let job = first;
  send({ ...job.progress, message: progressMessage(job) });
  const unsubscribe = cluster.subscribe(job.id, (update) => {
    job = { ...job, status: job.status === "queued" ? "running" : job.status, progress: update };
    send({ ...update, message: update.partial ? update.message : progressMessage(job, update.message) });
  });
  const heartbeat = setInterval(() => send({ ...job.progress, message: progressMessage(job) }), HEARTBEAT_MS);
  return () => {
    clearInterval(heartbeat);
    unsubscribe();
  };
}

/** Waits for a shared job up to the caller's deadline; a caller that leaves cancels only a job no replica has taken. */
export async function awaitShared(
  cluster: GenerationCluster,
  job: SharedJob<GenerationResult>,
  options: WaitOptions,
  view: JobView & { recover: (jobId: string) => Promise<GenerationResult | null> },
): Promise<GenerationResult> {
  const waitMs = Math.min(MAX_WAIT_SECONDS, Math.max(0, options.waitSeconds)) * 1000;
  await cluster.attach(job.id);
  const stop = options.onProgress ? follow(cluster, job, options.onProgress) : () => {};
  try {
    let latest = (await cluster.wait(job.id, waitMs, options.signal)) ?? job;
    const unsent = latest.status === "queued";
    if (latest.finishedAt === null && unsent && options.signal?.aborted && (await cluster.attach(job.id)) === 2) {
      // The caller went away before any replica took the job, and nobody else shares it (the 2 is this probe). A
      // job already running may have sent its paid request: it detaches and stays collectable instead.
      await cluster.cancel(job.id, "cancelled by the client");
      latest = (await cluster.wait(job.id, 5000)) ?? latest;
    }
    // Declared lost, but its replica may have saved the images before losing Redis: the workspace record wins.
    if (latest.lost) return (await view.recover(job.id)) ?? snapshot(latest, view);
    return snapshot(latest, view);
  } finally {
    stop();
  }
}

export function reusedCaveat(job: SharedJob<GenerationResult>): string {
  return `An identical request ${job.finishedAt ? "completed" : "is running"} as job ${job.id}: its result is returned and nothing was paid twice. Pass fresh: true to force a new generation.`;
}

export type { JobContext };
