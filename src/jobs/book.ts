// The job book: the one place where every process on a workspace (and every replica of a deployment) keeps its jobs,
// the dedupe of identical requests and the spend ledger. A rule that lives in one process's memory does not hold when
// hosts kill stdio servers after every session, one-shot clients run one call per process and teams run replicas;
// a rule kept here does. Two implementations share this contract (and one contract test suite): SQLite in the
// workspace (sqlite-book.ts, the embedded default) and Redis (redis-book.ts, PIXELWRIGHT_REDIS_URL).
//
// A job's life: queued (submitted, not taken) → running (a worker holds its lease) → completed | failed | cancelled.
// A worker renews its lease while it runs a job; a job whose lease lapses (its worker died, or froze) is "reaped":
// back to queued while its paid request is unsent, else failed and `lost` ("may have been billed"), never re-sent.
// A lost job whose worker comes back and finishes it is completed after all (a late completion wins).

import { randomBytes } from "node:crypto";
import { hostname } from "node:os";

export type JobStatus = "queued" | "running" | "completed" | "failed" | "cancelled";

export interface JobPartial {
  index: number;
  path: string;
  /** What its progress notification said ("partial image 1 of 2 received"). */
  message?: string;
}

export interface JobProgress {
  /** Strictly increasing within a job. */
  progress: number;
  message: string;
  /** Present when the update carries a partial image. */
  partial?: JobPartial;
}

/** A job as every process sees it: plain data, read from the book. */
export interface BookJob {
  id: string;
  /** Identical requests share one job: the key of the normalized request, or null for never shared. */
  key: string | null;
  /** Which workers may run it: a fingerprint of the configuration that admitted it (endpoint, key, profile). */
  pool: string;
  /** What the job does, for progress messages ("rendering 3840x2160 high"). */
  label: string;
  /** How long such a job usually takes, in words ("usually 60-180 s"). */
  typical: string;
  status: JobStatus;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  updatedAt: number;
  progress: JobProgress;
  /** Every partial image announced so far, oldest first. */
  partials: JobPartial[];
  /** What the worker runs (the use-case parses it with its schema). */
  payload: unknown;
  /** What was asked, for reports of a job that has no result yet (the use-case parses it). */
  request: unknown;
  /** The final result, completed or failed (the use-case parses it). */
  result: unknown;
  /** Why the job ended, in words, when it did not complete. */
  endReason: string | null;
  /** Its paid request was sent: such a job is never dropped because a caller left, and never re-sent. */
  sent: boolean;
  /** Its worker was lost with the request in flight (it may have been billed); a late completion clears it. */
  lost: boolean;
  /** Waiting for a free upstream slot inside its worker (reported as "queued"). */
  slotWait: boolean;
  /**
   * It takes one of the PIXELWRIGHT_MAX_CONCURRENCY slots while it runs, and counts toward the busy cap: a generation
   * or a batch being sent does; a look at a sent batch (a cheap GET now and then, for up to its caller's deadline)
   * does not, so batches waiting to be collected never hold up anyone's generation.
   */
  holdsSlot: boolean;
  /** The worker holding it, and until when its lease runs. */
  worker: string | null;
  leaseUntil: number | null;
  /** Callers that ever attached to it (the starter, identical requests, collectors): more than one means shared. */
  attachments: number;
  /** A caller asked to cancel it before its request was sent: its worker stops it. */
  cancelRequested: string | null;
}

export interface SubmitRequest {
  key: string | null;
  pool: string;
  about: { label: string; typical: string };
  payload: unknown;
  request: unknown;
  /** Force a new job even when an identical one is running or recent. */
  fresh?: boolean;
  /** How long a finished job answers identical requests instead of a new paid call. */
  reuseWindowMs: number;
  /** Queued plus running jobs of the book allowed at once; beyond that submit answers busy (no job is made). */
  maxActive?: number;
  /** False for a job that takes no upstream slot (BookJob.holdsSlot); true when left out. */
  holdsSlot?: boolean;
}

export type SubmitOutcome = { job: BookJob; reused: boolean } | { busy: number };

/** How a finished job ends, as its worker (or a canceller) says. */
export interface JobOutcome {
  status: "completed" | "failed" | "cancelled";
  result: unknown;
  endReason: string | null;
}

export type ReservationState = "reserved" | "settled" | "released" | "kept";

/** One paid step in the spend ledger: what it may cost (reserved), and what it did (settled, released or kept). */
export interface SpendEntry {
  at: number;
  usd: number;
}

export interface ReserveRequest {
  /** How many entries to make of `usd` (one per parallel call of a fan-out), all or none. */
  parts?: number;
  /** The job it is for (null while a call is being admitted, before its job exists). */
  jobId: string | null;
  /** Which step: "attempt 1", "retry 2", "fan-out 3 of 4", "master". */
  step: string;
  usd: number;
  /** The cap over the window, or null for no cap (the reservation is recorded all the same). */
  limitUsd: number | null;
  windowMs: number;
}

export type ReserveOutcome = { ok: true; ids: string[] } | { ok: false; entries: SpendEntry[] };

export interface BookHealth {
  store: "sqlite" | "redis";
  reachable: boolean;
}

export type SendClearance = "sent" | "cancelled" | "taken";

export type JobListener = (job: BookJob) => void;

export interface JobBook {
  readonly kind: "sqlite" | "redis";
  /**
   * The running or recently finished job for the same key (reused), else a new queued job — atomically, so two
   * processes submitting the same request at once make one job. Answers `busy` when maxActive is reached.
   */
  submit(request: SubmitRequest): Promise<SubmitOutcome>;
  get(id: string): Promise<BookJob | null>;
  /** The running or recent job an identical request would share (read only; submit decides atomically). */
  find(key: string, reuseWindowMs: number): Promise<BookJob | null>;
  /** Counts one more caller on the job; returns how many ever attached. */
  attach(id: string): Promise<number>;
  /** Queued plus running jobs that hold a slot (what the busy cap counts). */
  active(): Promise<number>;
  /** Running jobs that hold a slot in the whole book (what the concurrency limit counts). */
  running(): Promise<number>;
  /** Jobs created since `since` (newest first), for task lists. */
  list(since: number, limit: number): Promise<BookJob[]>;

  /**
   * Takes a queued job of the pool: the oldest that holds no slot, whatever runs; else the oldest when fewer than
   * `limit` slot-holding jobs run in the whole book. Null when none.
   */
  claim(worker: string, pool: string, limit: number, leaseMs: number): Promise<BookJob | null>;
  /** Extends the lease of the jobs this worker runs (its heartbeat). */
  renew(worker: string, ids: string[], leaseMs: number): Promise<void>;
  progress(id: string, worker: string, update: JobProgress): Promise<void>;
  /** Waiting for an upstream slot inside the worker, or not any more. */
  slotWait(id: string, worker: string, waiting: boolean): Promise<void>;
  /**
   * Clears the paid request to go out, atomically: "sent" when `worker` still runs the job (it is marked sent: never
   * re-queued after this), "cancelled" when a caller asked to stop it before anything was sent, "taken" when the job
   * is no longer this worker's (its lease lapsed and another worker took it: sending would pay twice).
   */
  markSent(id: string, worker: string): Promise<SendClearance>;
  /**
   * The worker's last word on a job. A job reaped as lost meanwhile is completed after all when the outcome is a
   * completion (a late completion wins); any other outcome of a job that already ended is ignored. True when applied.
   */
  finish(id: string, worker: string, outcome: JobOutcome): Promise<boolean>;
  /** A worker that stops before sending hands the job back to the queue for another worker. */
  handBack(id: string, worker: string): Promise<void>;
  /**
   * A caller leaves before the paid request went out: a queued job is cancelled at once, a running unsent one is
   * flagged for its worker to stop; a sent one is left to finish (it detaches). Returns the job as it is now.
   */
  cancel(id: string, reason: string): Promise<BookJob | null>;
  /**
   * Jobs whose worker is gone (lease lapsed, or a dead process on this host): unsent ones go back to the queue, sent
   * ones fail as lost. Returns the jobs this call declared lost (the caller records them, exactly once).
   */
  reap(): Promise<BookJob[]>;

  /** Calls the listener with the job whenever it changes (in any process), until the returned function is called. */
  watch(id: string, listener: JobListener): () => void;
  /** Calls the listener when a job may have become claimable (queued, or a lease reaped). */
  onQueued(listener: () => void): () => void;

  /** Reserves `usd` for a paid step when it fits under the cap (atomically across processes), else the entries. */
  reserve(request: ReserveRequest): Promise<ReserveOutcome>;
  /** The step was billed `usd` (from the returned usage). */
  settle(id: string, usd: number): Promise<void>;
  /** The step is known not billed (an error answer came back): it frees its room. */
  release(id: string): Promise<void>;
  /** The step's outcome is unknown (timeout after sending, dropped connection): it stays at its estimate. */
  keep(id: string): Promise<void>;
  /** Names the job of reservations made while the call was admitted. */
  assign(ids: string[], jobId: string): Promise<void>;
  /** Spending that counts in the window ending now (reserved, settled or kept). */
  spending(windowMs: number): Promise<SpendEntry[]>;
  /** Records spending from before the book existed, once per book (a no-op after the first call). */
  importSpending(entries: SpendEntry[]): Promise<void>;

  /** A detached runner of the pool holds the runner lease (one runner per pool and workspace). */
  runnerAlive(pool: string): Promise<boolean>;
  /** Takes or renews the runner lease for `owner`; false when another live runner holds it. */
  leaseRunner(pool: string, owner: string, leaseMs: number): Promise<boolean>;
  releaseRunner(pool: string, owner: string): Promise<void>;

  /**
   * Runs fn holding a lock every process sharing the book respects (replicas appending to one manifest on a shared
   * folder whose appends are not atomic across machines); the SQLite book's processes share one machine: no lock.
   */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T>;

  health(): BookHealth;
  close(): Promise<void>;
}

export { JOB_ID, newJobId } from "./ids.js";

export const RUNNER_LOST = "its worker was lost with the request in flight; may have been billed";

/** Whether a job is still going (queued or running). */
export function isLive(job: Pick<BookJob, "status">): boolean {
  return job.status === "queued" || job.status === "running";
}

/**
 * Whether a job answers an identical request instead of a new paid call: it is live, completed within the window,
 * or lost within the window (its outcome is unknown; paying again could pay twice — fresh: true forces it).
 */
export function isReusable(job: BookJob, now: number, windowMs: number): boolean {
  if (isLive(job)) return true;
  const recent = job.finishedAt !== null && now - job.finishedAt <= windowMs;
  return recent && (job.status === "completed" || (job.status === "failed" && job.lost));
}

/** A worker's name: where it runs, so a dead process on this host is recognised without waiting for its lease. */
export function workerName(host: string, pid: number): string {
  return `${host}:${pid}:${randomBytes(4).toString("hex")}`;
}

export function parseWorker(worker: string): { host: string; pid: number } | null {
  const match = /^(.*):(\d+):[0-9a-f]+$/.exec(worker);
  return match ? { host: match[1] as string, pid: Number(match[2]) } : null;
}

const HOST = hostname();

/** Whether a worker's process is gone, as far as this host can tell (one of its own processes, killed with -9). */
export function workerGone(worker: string | null): boolean {
  const parsed = worker ? parseWorker(worker) : null;
  if (!parsed || parsed.host !== HOST || parsed.pid === process.pid) return false;
  try {
    process.kill(parsed.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}
