// A worker takes jobs from the book and runs them: at most `concurrency` running in the whole book, each under a
// lease it renews while the job runs (its heartbeat), each stopped when a caller cancels it before its paid request
// went out. Every process that runs jobs has one: the detached runner of a stdio server or CLI call, the HTTP
// server, a replica. It also reaps: jobs whose worker is gone go back to the queue (unsent) or fail as lost (sent).

import { AbortedError } from "../errors.js";
import type { Logger } from "../log.js";
import type { BookJob, JobBook, JobOutcome, JobPartial } from "./book.js";

export interface JobContext {
  jobId: string;
  signal: AbortSignal;
  report(message: string, partial?: JobPartial): void;
  /** Waiting for an upstream slot ("queued") or running again. */
  setStatus(status: "queued" | "running"): void;
  /** The paid request is about to go out: recorded in the book before it is sent (never re-sent after this). */
  markSent(): Promise<void>;
}

export interface WorkerOptions {
  book: JobBook;
  /** This worker's name (book.ts workerName). */
  name: string;
  pool: string;
  /** Running jobs allowed in the whole book at once (PIXELWRIGHT_MAX_CONCURRENCY). */
  concurrency: number;
  leaseMs: number;
  logger: Logger;
  work(job: BookJob, ctx: JobContext): Promise<unknown>;
  /** How a job whose work threw ends (abortReason: why its signal fired, or null when it did not). */
  settle(job: BookJob, err: unknown, abortReason: string | null): JobOutcome | Promise<JobOutcome>;
  /** A job this worker ran has ended for good (not handed back): clean up after it. */
  ended?(job: BookJob, outcome: JobOutcome): Promise<void>;
  /** A job this worker declared lost (its own worker is gone): record it, once. */
  onLost?(job: BookJob): Promise<void>;
  /** Called once nothing has run or been claimable for `idleMs` (the detached runner exits then). */
  onIdle?(): void;
  idleMs?: number;
}

interface Running {
  job: BookJob;
  controller: AbortController;
  sent: boolean;
  done: Promise<void>;
  stopWatching: () => void;
  /** Book writes of this job, in order (progress must never overtake the finish). */
  writes: Promise<unknown>;
  /** Stopped unsent because this worker is closing: the job goes back to the queue for another worker. */
  handBack: boolean;
  /** Another worker runs the job now (this one's lease lapsed): nothing more is written or cleaned up from here. */
  taken: boolean;
}

export class Worker {
  private readonly running = new Map<string, Running>();
  private accepting = false;
  private claiming = false;
  private claimAgain = false;
  private heartbeat: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  /** The idle time ran out while a look at the book was under way. */
  private idleDue = false;
  private stopQueued: (() => void) | null = null;

  constructor(private readonly options: WorkerOptions) {}

  get name(): string {
    return this.options.name;
  }

  /** Jobs running here now. */
  get active(): number {
    return this.running.size;
  }

  /** Whether this worker runs the job now. */
  runs(jobId: string): boolean {
    return this.running.has(jobId);
  }

  /** Whether a job runs here and its paid request went out. */
  sentHere(): number {
    return [...this.running.values()].filter((r) => r.sent).length;
  }

  start(): void {
    if (this.accepting) return;
    this.accepting = true;
    const { book, leaseMs } = this.options;
    this.stopQueued = book.onQueued(() => this.poke());
    this.heartbeat = setInterval(() => void this.beat(), Math.max(250, Math.floor(leaseMs / 3)));
    this.heartbeat.unref();
    this.poke();
  }

  /** A job may be claimable now (a submit in this process, or a change noticed in the book). */
  poke(): void {
    if (!this.accepting) return;
    if (this.claiming) {
      this.claimAgain = true;
      return;
    }
    this.claiming = true;
    void this.claimAll()
      .catch((err: unknown) => this.options.logger.warn({ err }, "could not take a job from the job book"))
      .finally(() => {
        this.claiming = false;
        if (this.claimAgain) {
          this.claimAgain = false;
          this.poke();
        } else if (this.idleDue && this.running.size === 0 && this.accepting) {
          this.idleDue = false;
          this.options.onIdle?.();
        } else this.armIdle();
      });
  }

  private async claimAll(): Promise<void> {
    const { book, name, pool, concurrency, leaseMs } = this.options;
    while (this.accepting) {
      const job = await book.claim(name, pool, concurrency, leaseMs);
      if (!job) return;
      this.run(job);
    }
  }

  /**
   * Counts idle time from the moment nothing runs here. A look at the book that finds nothing (the heartbeat looks
   * every lease/3) does not start the count again, or an idle time longer than that would never come.
   */
  private armIdle(): void {
    const { onIdle, idleMs } = this.options;
    if (!onIdle || idleMs === undefined) return;
    if (this.running.size > 0 || !this.accepting) {
      this.disarmIdle();
      return;
    }
    if (this.idleTimer) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.running.size > 0 || !this.accepting) return;
      // A look at the book is under way: decide once it has ended (it may have found a job).
      if (this.claiming) this.idleDue = true;
      else onIdle();
    }, idleMs);
  }

  private disarmIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.idleDue = false;
  }

  private async beat(): Promise<void> {
    const { book, name, leaseMs, logger } = this.options;
    try {
      await book.renew(name, [...this.running.keys()], leaseMs);
      const lost = await book.reap();
      for (const job of lost) {
        logger.warn({ job: job.id, worker: job.worker }, "a job's worker is gone with its request in flight: lost");
        await this.options.onLost?.(job);
      }
      // A missed announcement (a dropped connection) never leaves a queued job waiting longer than a heartbeat.
      this.poke();
    } catch (err) {
      logger.warn({ err }, "the job book could not be reached for the heartbeat");
    }
  }

  private run(job: BookJob): void {
    const { book, name, logger } = this.options;
    const controller = new AbortController();
    const entry: Running = {
      job,
      controller,
      sent: job.sent,
      done: Promise.resolve(),
      stopWatching: () => {},
      writes: Promise.resolve(),
      handBack: false,
      taken: false,
    };
    let counter = job.progress.progress;
    const write = (fn: () => Promise<unknown>) => {
      entry.writes = entry.writes
        .then(fn)
        .catch((err: unknown) => logger.warn({ err, job: job.id }, "job book write failed"));
      return entry.writes;
    };
    const ctx: JobContext = {
      jobId: job.id,
      signal: controller.signal,
      report: (message, partial) => {
        counter++;
        const update = { progress: counter, message, ...(partial ? { partial: { ...partial, message } } : {}) };
        void write(() => book.progress(job.id, name, update));
      },
      setStatus: (status) => void write(() => book.slotWait(job.id, name, status === "queued")),
      markSent: async () => {
        // Asked of the book before every paid step, after the writes before it: a worker that was frozen past its
        // lease finds its job taken and sends nothing (the other worker pays for it once). A book it cannot reach
        // clears nothing either: the request is not sent unrecorded.
        const cleared = entry.writes.then(() => book.markSent(job.id, name));
        entry.writes = cleared.catch(() => {});
        const clearance = await cleared;
        if (clearance === "sent") {
          entry.sent = true;
          return;
        }
        entry.taken = clearance === "taken";
        const reason =
          clearance === "taken"
            ? "this worker lost its lease on the job and another worker took it; nothing was sent from here"
            : ((await book.get(job.id))?.cancelRequested ?? "cancelled");
        controller.abort(reason);
        throw new AbortedError(reason);
      },
    };
    // A caller that leaves before the request went out asks the book to cancel: the worker stops the job.
    entry.stopWatching = book.watch(job.id, (latest) => {
      if (latest.cancelRequested && !entry.sent && !controller.signal.aborted) controller.abort(latest.cancelRequested);
    });
    this.running.set(job.id, entry);
    this.disarmIdle();
    entry.done = (async () => {
      let outcome: JobOutcome;
      try {
        ctx.report(`${job.label}: running`);
        const result = await this.options.work(job, ctx);
        outcome = { status: "completed", result, endReason: null };
      } catch (err) {
        const aborted = err instanceof AbortedError || controller.signal.aborted;
        const reason = aborted ? String(controller.signal.reason ?? "cancelled") : null;
        // The job as it is now: the snapshot it was claimed with says unsent even after its request went out.
        outcome = await this.options.settle({ ...job, sent: job.sent || entry.sent }, err, reason);
      }
      await entry.writes;
      if (entry.taken) {
        logger.warn(
          { job: job.id },
          "job taken over by another worker after this one's lease lapsed; not sent from here",
        );
        return;
      }
      if (entry.handBack && !entry.sent) {
        await book
          .handBack(job.id, name)
          .catch((err: unknown) => logger.warn({ err, job: job.id }, "could not hand a job back"));
        logger.info({ job: job.id }, "job handed back to the queue (its request was not sent)");
        return;
      }
      const applied = await book.finish(job.id, name, outcome).catch((err: unknown) => {
        logger.error({ err, job: job.id }, "the job book could not record how a job ended");
        return false;
      });
      logger.info(
        { job: job.id, status: outcome.status, reason: outcome.endReason ?? undefined, applied },
        "job finished",
      );
      await this.options
        .ended?.(job, outcome)
        .catch((err: unknown) => logger.warn({ err, job: job.id }, "cleaning up after a job failed"));
    })().finally(() => {
      entry.stopWatching();
      this.running.delete(job.id);
      if (this.accepting) this.poke();
      else if (this.running.size === 0) this.stopHeartbeat();
    });
  }

  /** Stops taking jobs; the running ones get graceMs to finish, then are aborted; resolves once all have ended. */
  async close(graceMs = 0, reason = "the server is shutting down"): Promise<void> {
    this.stopAccepting();
    const all = [...this.running.values()];
    if (all.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const finished = Promise.all(all.map((r) => r.done));
    // An unbounded grace (a runner stopping) waits for every running job: they are paid for.
    const graceOver =
      graceMs >= 2 ** 31 - 1
        ? finished
        : new Promise<void>((resolve) => {
            timer = setTimeout(resolve, graceMs);
          });
    await Promise.race([finished, graceOver]);
    if (timer) clearTimeout(timer);
    for (const r of this.running.values()) {
      // Unsent work is handed on to another worker; sent work ends here (recorded as may have been billed).
      r.handBack = !r.sent;
      r.controller.abort(reason);
    }
    await Promise.all(all.map((r) => r.done));
  }

  /**
   * The end of input (stdin closed) for a worker inside the server's own process: jobs not sent yet are stopped (the
   * book cancels them or hands them on), sent ones finish within their deadlines. Resolves when all have ended.
   */
  async drain(reason: string): Promise<void> {
    this.stopAccepting();
    for (const r of this.running.values()) if (!r.sent) r.controller.abort(reason);
    await Promise.all([...this.running.values()].map((r) => r.done));
  }

  /** No new jobs; the heartbeat goes on while jobs still run here (their leases must not lapse). */
  private stopAccepting(): void {
    this.accepting = false;
    this.stopQueued?.();
    this.stopQueued = null;
    this.disarmIdle();
    if (this.running.size === 0) this.stopHeartbeat();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}
