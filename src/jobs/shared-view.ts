// How a job stored in Redis reads as a SharedJob on every replica: its state, its progress and partial images, and
// why it ended — a stalled job (its replica stopped renewing the lock mid-request) reads as "replica lost".

import { REPLICA_LOST, type SharedJob } from "./cluster.js";
import type { JobProgress } from "./registry.js";

/** failedReason prefix of a job stopped on purpose (a caller who left, a shutdown). */
export const CANCELLED = "cancelled: ";
const COMMAND_TIMEOUT_MS = 5000;

/** The fields of a stored (BullMQ) job that the view reads. */
export interface StoredJob<R> {
  id?: string | undefined;
  data: { label: string; typical: string };
  timestamp: number;
  finishedOn?: number | undefined;
  failedReason?: string;
  progress: unknown;
  returnvalue: R;
}

export function isProgress(value: unknown): value is JobProgress {
  return typeof value === "object" && value !== null && typeof (value as JobProgress).message === "string";
}

export function withTimeout<T>(promise: Promise<T>, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(error()), COMMAND_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

function lostMessage(): string {
  return `${REPLICA_LOST}: the server process running this job stopped while its request was in flight. It was not sent again (that could pay twice); check the provider's usage before generating again.`;
}

function statusOf(state: string, cancelled: boolean): SharedJob<unknown>["status"] {
  if (state === "completed") return "completed";
  if (state === "failed") return cancelled ? "cancelled" : "failed";
  return state === "active" ? "running" : "queued";
}

export function sharedView<R>(job: StoredJob<R>, state: string): SharedJob<R> {
  const { label, typical } = job.data;
  const failed = state === "failed";
  const reason = job.failedReason ?? "";
  const cancelled = failed && reason.startsWith(CANCELLED);
  const lost = failed && /stalled/i.test(reason);
  const endReason = failed ? (lost ? REPLICA_LOST : cancelled ? reason.slice(CANCELLED.length) : reason) : null;
  const ended = failed || state === "completed";
  const progress = isProgress(job.progress) ? job.progress : null;
  return {
    id: job.id as string,
    label,
    typical,
    status: statusOf(state, cancelled),
    createdAt: job.timestamp,
    finishedAt: ended ? (job.finishedOn ?? Date.now()) : null,
    progress: progress ?? { progress: 0, message: `${label}: queued` },
    partials: (progress as { partials?: SharedJob<R>["partials"] } | null)?.partials ?? [],
    result: state === "completed" ? job.returnvalue : null,
    endReason,
    error: failed ? new Error(lost ? lostMessage() : (endReason ?? "failed")) : null,
    lost,
  };
}
