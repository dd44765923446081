// The process-wide job registry. Every generation is a job: it runs in the background, callers wait for it with a
// deadline, progress fans out to whoever listens, identical requests share one job, and cancellation is explicit.

import { AbortedError } from "../errors.js";
import type { Logger } from "../log.js";
import { newJobId } from "./ids.js";

export type JobStatus = "queued" | "running" | "completed" | "failed" | "cancelled";

export interface JobProgress {
  /** Strictly increasing within a job. */
  progress: number;
  message: string;
  /** Present when the update carries a partial image. */
  partial?: { index: number; path: string };
}

export interface JobContext {
  jobId: string;
  signal: AbortSignal;
  report(message: string, partial?: JobProgress["partial"]): void;
  setStatus(status: "queued" | "running"): void;
  /** The paid request went out: from now on a caller leaving detaches instead of cancelling. */
  markSent(): void;
}

export interface Job<R> {
  id: string;
  key: string | null;
  /** What the job does, for progress messages ("rendering 3840x2160 high"). */
  label: string;
  /** How long such a job usually takes, in words ("usually 60-180 s"). */
  typical: string;
  status: JobStatus;
  createdAt: number;
  finishedAt: number | null;
  progress: JobProgress;
  /** Every partial result announced so far, oldest first. */
  partials: NonNullable<JobProgress["partial"]>[];
  result: R | null;
  error: unknown;
  /** Why the job ended, in words, when it did not complete. */
  endReason: string | null;
  /** Whether its paid request was sent: such a job is never dropped because a caller left. */
  sent: boolean;
  /** Callers currently waiting on it. */
  waiters: number;
  /** Callers that ever attached to it (the starter, identical requests, verify_image): more than one means shared. */
  attachments: number;
  controller: AbortController;
  settled: Promise<void>;
  listeners: Set<(update: JobProgress) => void>;
}

export interface RegistryOptions {
  logger: Logger;
  /** How long a finished job answers identical requests instead of a new paid call. */
  reuseWindowMs?: number;
  /** How many finished jobs stay in memory (older ones are still found through the workspace records). */
  keepFinished?: number;
}

export class JobRegistry<R> {
  private readonly jobs = new Map<string, Job<R>>();
  private readonly reuseWindowMs: number;
  private readonly keepFinished: number;

  constructor(private readonly options: RegistryOptions) {
    this.reuseWindowMs = options.reuseWindowMs ?? 10 * 60 * 1000;
    this.keepFinished = options.keepFinished ?? 500;
  }

  start(key: string | null, about: { label: string; typical: string }, work: (ctx: JobContext) => Promise<R>): Job<R> {
    const { label, typical } = about;
    const id = newJobId();
    const controller = new AbortController();
    const job: Job<R> = {
      id,
      key,
      label,
      typical,
      // "queued" means waiting for an upstream slot, which only the limiter knows (ctx.setStatus).
      status: "running",
      createdAt: Date.now(),
      finishedAt: null,
      progress: { progress: 0, message: `${label}: starting` },
      partials: [],
      result: null,
      error: null,
      endReason: null,
      sent: false,
      waiters: 0,
      attachments: 0,
      controller,
      settled: Promise.resolve(),
      listeners: new Set(),
    };
    const ctx: JobContext = {
      jobId: id,
      signal: controller.signal,
      report: (message, partial) => this.emit(job, message, partial),
      setStatus: (status) => {
        if (job.status === "queued" || job.status === "running") job.status = status;
      },
      markSent: () => {
        job.sent = true;
      },
    };
    this.jobs.set(id, job);
    job.settled = (async () => {
      try {
        job.result = await work(ctx);
        job.status = "completed";
      } catch (err) {
        job.error = err;
        const aborted = err instanceof AbortedError || controller.signal.aborted;
        job.status = aborted ? "cancelled" : "failed";
        job.endReason = aborted
          ? String(controller.signal.reason ?? "cancelled")
          : err instanceof Error
            ? err.message
            : String(err);
      } finally {
        job.finishedAt = Date.now();
        this.emit(job, `${label}: ${job.status}`);
        this.options.logger.info(
          { job: id, status: job.status, ms: job.finishedAt - job.createdAt, reason: job.endReason ?? undefined },
          "job finished",
        );
        this.prune();
      }
    })();
    return job;
  }

  get(id: string): Job<R> | undefined {
    return this.jobs.get(id);
  }

  /** A job for the same normalized request that is running, or completed within the reuse window. */
  findReusable(key: string): Job<R> | undefined {
    let found: Job<R> | undefined;
    for (const job of this.jobs.values()) {
      if (job.key !== key) continue;
      const live = job.status === "queued" || job.status === "running";
      const fresh =
        job.status === "completed" && job.finishedAt !== null && Date.now() - job.finishedAt <= this.reuseWindowMs;
      if ((live || fresh) && (!found || job.createdAt > found.createdAt)) found = job;
    }
    return found;
  }

  /** Waits until the job ends or `ms` pass; true when it ended. An aborted caller signal stops the wait only. */
  async wait(job: Job<R>, ms: number, signal?: AbortSignal): Promise<boolean> {
    if (job.finishedAt !== null) return true;
    if (ms <= 0) return false;
    job.waiters++;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      const outcome = await Promise.race([
        job.settled.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), ms);
        }),
        new Promise<boolean>((resolve) => {
          if (!signal) return;
          onAbort = () => resolve(false);
          if (signal.aborted) onAbort();
          else signal.addEventListener("abort", onAbort, { once: true });
        }),
      ]);
      return outcome;
    } finally {
      job.waiters--;
      if (timer) clearTimeout(timer);
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    }
  }

  subscribe(job: Job<R>, listener: (update: JobProgress) => void): () => void {
    job.listeners.add(listener);
    return () => job.listeners.delete(listener);
  }

  cancel(job: Job<R>, reason: string): void {
    if (job.finishedAt !== null) return;
    job.controller.abort(reason);
  }

  /** Aborts every running job and waits for them to settle (shutdown). */
  async abortAll(reason: string): Promise<void> {
    const running = [...this.jobs.values()].filter((j) => j.finishedAt === null);
    for (const job of running) job.controller.abort(reason);
    await Promise.all(running.map((j) => j.settled));
  }

  /**
   * The end of input (stdin closed): jobs whose request is not sent yet are dropped; sent ones finish within their
   * deadlines, save and record. Resolves when every job has settled.
   */
  async drain(reason: string): Promise<void> {
    const running = this.running();
    for (const job of running) if (!job.sent) job.controller.abort(reason);
    await Promise.all(running.map((j) => j.settled));
  }

  running(): Job<R>[] {
    return [...this.jobs.values()].filter((j) => j.finishedAt === null);
  }

  private emit(job: Job<R>, message: string, partial?: JobProgress["partial"]): void {
    job.progress = { progress: job.progress.progress + 1, message, ...(partial ? { partial } : {}) };
    if (partial) job.partials.push(partial);
    for (const listener of job.listeners) {
      try {
        listener(job.progress);
      } catch (err) {
        this.options.logger.warn({ err }, "progress listener failed");
      }
    }
  }

  private prune(): void {
    const finished = [...this.jobs.values()].filter((j) => j.finishedAt !== null);
    for (const job of finished.slice(0, Math.max(0, finished.length - this.keepFinished))) this.jobs.delete(job.id);
  }
}
