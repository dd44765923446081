// The seam between the engine and a job store shared by several server processes (replicas). The in-process
// JobRegistry is the default; with PIXELWRIGHT_REDIS_URL set, jobs/redis.ts implements this on Redis (BullMQ), and
// any replica can start, run, find, wait on, follow and cancel any job.

import type { JobContext, JobProgress, JobStatus } from "./registry.js";

/** A job as every replica sees it: plain data, read from the shared store. */
export interface SharedJob<R> {
  id: string;
  label: string;
  typical: string;
  status: JobStatus;
  createdAt: number;
  finishedAt: number | null;
  progress: JobProgress;
  /** Partial images received so far (files in the shared workspace while the job runs). */
  partials: NonNullable<JobProgress["partial"]>[];
  result: R | null;
  /** Why the job ended, when it did not complete. */
  endReason: string | null;
  error: Error | null;
  /** The replica running it was lost with a request in flight: the job failed and is never re-sent. */
  lost: boolean;
}

export const REPLICA_LOST = "replica lost; may have been billed";

export interface SubmitRequest<P> {
  /** Identical requests share one job: the key of the normalized request, or null for never shared. */
  key: string | null;
  about: { label: string; typical: string };
  payload: P;
}

/** The work a replica does for a job it takes from the shared queue. */
export type SharedWork<P, R> = (payload: P, ctx: JobContext) => Promise<R>;

export interface ClusterHealth {
  redis: "connected" | "unreachable";
  /** Jobs this replica is running now. */
  running_here: number;
}

export interface JobCluster<P, R> {
  /** The running or recently completed job for the same key, else a new queued job. Busy when full or unreachable. */
  submit(request: SubmitRequest<P>): Promise<{ job: SharedJob<R>; reused: boolean }>;
  get(id: string): Promise<SharedJob<R> | null>;
  /** The job once it ends, or as it is when `ms` pass or the signal aborts. */
  wait(id: string, ms: number, signal?: AbortSignal): Promise<SharedJob<R> | null>;
  /** Progress of the job wherever it runs. */
  subscribe(id: string, listener: (update: JobProgress) => void): () => void;
  /** Counts one more caller on the job; returns how many ever attached. */
  attach(id: string): Promise<number>;
  cancel(id: string, reason: string): Promise<void>;
  health(): ClusterHealth;
  /** Runs fn holding a lock shared by every replica (waits up to a few seconds; without Redis, runs unlocked). */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Starts taking jobs from the shared queue (after the work function is wired). */
  start(): void;
  /** Takes no new jobs (queued ones stay for other replicas), lets running ones finish up to graceMs, then cancels. */
  close(graceMs?: number): Promise<void>;
}
