// The job book in SQLite (Node's built-in node:sqlite, WAL): one database file in the workspace shared by every
// pixelwright process that uses it — stdio servers, one-shot CLI calls, detached runners, an HTTP server. Each step
// is one short write transaction (sqlite-db.ts), changes are noticed across processes (sqlite-watch.ts), and the
// spend ledger and runner lease live beside the jobs (sqlite-ledger.ts).

import { statSync } from "node:fs";
import { dirname } from "node:path";
import {
  type BookHealth,
  type BookJob,
  isReusable,
  type JobBook,
  type JobListener,
  type JobOutcome,
  type JobProgress,
  newJobId,
  type ReserveOutcome,
  type ReserveRequest,
  type SendClearance,
  type SpendEntry,
  type SubmitOutcome,
  type SubmitRequest,
  workerGone,
} from "./book.js";
import { Db, type SQLInputValue } from "./sqlite-db.js";
import { SqliteLedger } from "./sqlite-ledger.js";
import { type JobRow, rowToJob } from "./sqlite-schema.js";
import { ChangeWatcher } from "./sqlite-watch.js";

export interface SqliteBookOptions {
  /** The database file (the workspace's `.pixelwright/state.db`); its folder must exist. */
  path: string;
  /** Notified when a change could not be looked at (a locked or broken database): logged, never thrown. */
  onError?: (err: unknown) => void;
}

export async function openSqliteBook(options: SqliteBookOptions): Promise<SqliteBook> {
  return new SqliteBook(await Db.open(options.path), options);
}

const REQUEUE = "status = 'queued', worker = NULL, lease_until = NULL, started_at = NULL, slot_wait = 0";
/** Live jobs that count toward the busy cap, and running ones toward the concurrency limit. */
const LIVE_SLOTS = "status IN ('queued', 'running') AND holds_slot = 1";
const RUNNING_SLOTS = "status = 'running' AND holds_slot = 1";

export class SqliteBook implements JobBook {
  readonly kind = "sqlite" as const;
  private readonly ledger: SqliteLedger;
  private readonly changes: ChangeWatcher;
  private closed = false;

  constructor(
    private readonly db: Db,
    options: SqliteBookOptions,
  ) {
    this.ledger = new SqliteLedger(db);
    this.changes = new ChangeWatcher(db, dirname(options.path), options.onError ?? (() => {}));
    this.path = options.path;
    this.inode = inodeOf(options.path);
  }

  private readonly path: string;
  private readonly inode: number | null;

  private row(id: string): BookJob | null {
    const row = this.db.get<JobRow>("SELECT * FROM jobs WHERE id = ?", id);
    return row ? rowToJob(row) : null;
  }

  /** Changes a job: every change bumps its version, which is how watchers hear it once. */
  private bump(id: string, set: string, ...params: SQLInputValue[]): number {
    return this.db.run(
      `UPDATE jobs SET ${set}, version = version + 1, updated_at = ? WHERE id = ?`,
      ...params,
      Date.now(),
      id,
    );
  }

  private reusable(key: string, reuseWindowMs: number): BookJob | null {
    const now = Date.now();
    const rows = this.db.all<JobRow>("SELECT * FROM jobs WHERE key = ? ORDER BY created_at DESC LIMIT 20", key);
    return rows.map(rowToJob).find((job) => isReusable(job, now, reuseWindowMs)) ?? null;
  }

  private count(where: string): number {
    return Number(this.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM jobs WHERE ${where}`)?.n ?? 0);
  }

  async find(key: string, reuseWindowMs: number): Promise<BookJob | null> {
    return this.reusable(key, reuseWindowMs);
  }

  async submit(request: SubmitRequest): Promise<SubmitOutcome> {
    return this.db.write(() => {
      if (request.key !== null && !request.fresh) {
        const found = this.reusable(request.key, request.reuseWindowMs);
        if (found) return { job: found, reused: true };
      }
      if (request.maxActive !== undefined) {
        const active = this.count(LIVE_SLOTS);
        if (active >= request.maxActive) return { busy: active };
      }
      const id = newJobId();
      const now = Date.now();
      const progress: JobProgress = { progress: 0, message: `${request.about.label}: starting` };
      this.db.run(
        `INSERT INTO jobs (id, key, pool, status, label, typical, created_at, updated_at, progress, payload, request,
           holds_slot)
         VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)`,
        id,
        request.key,
        request.pool,
        request.about.label,
        request.about.typical,
        now,
        now,
        JSON.stringify(progress),
        JSON.stringify(request.payload ?? null),
        JSON.stringify(request.request ?? null),
        request.holdsSlot === false ? 0 : 1,
      );
      return { job: this.row(id) as BookJob, reused: false };
    });
  }

  async get(id: string): Promise<BookJob | null> {
    return this.row(id);
  }

  async attach(id: string): Promise<number> {
    return this.db.write(() => {
      this.bump(id, "attachments = attachments + 1");
      return Number(this.db.get<{ a: number }>("SELECT attachments AS a FROM jobs WHERE id = ?", id)?.a ?? 0);
    });
  }

  async active(): Promise<number> {
    return this.count(LIVE_SLOTS);
  }

  async running(): Promise<number> {
    return this.count(RUNNING_SLOTS);
  }

  async list(since: number, limit: number): Promise<BookJob[]> {
    const rows = this.db.all<JobRow>(
      "SELECT * FROM jobs WHERE created_at >= ? ORDER BY created_at DESC LIMIT ?",
      since,
      limit,
    );
    return rows.map(rowToJob);
  }

  async claim(worker: string, pool: string, limit: number, leaseMs: number): Promise<BookJob | null> {
    return this.db.write(() => {
      // A job that holds no slot never waits behind one that does; the others wait for a free slot.
      const room = this.count(RUNNING_SLOTS) < limit ? 1 : 0;
      const row = this.db.get<JobRow>(
        `SELECT * FROM jobs WHERE status = 'queued' AND pool = ? AND (holds_slot = 0 OR ? = 1)
         ORDER BY holds_slot, created_at, rowid LIMIT 1`,
        pool,
        room,
      );
      if (!row) return null;
      const now = Date.now();
      this.bump(row.id, "status = 'running', worker = ?, lease_until = ?, started_at = ?", worker, now + leaseMs, now);
      return this.row(row.id);
    });
  }

  async renew(worker: string, ids: string[], leaseMs: number): Promise<void> {
    if (ids.length === 0) return;
    // A lease is renewed without a version bump: nobody waits on heartbeats.
    this.db.write(() => {
      const until = Date.now() + leaseMs;
      for (const id of ids) {
        this.db.run(
          "UPDATE jobs SET lease_until = ? WHERE id = ? AND worker = ? AND status = 'running'",
          until,
          id,
          worker,
        );
      }
    });
  }

  /** Changes a running job only when `worker` holds it. */
  private ifMine(id: string, worker: string, set: string, ...params: SQLInputValue[]): void {
    this.db.write(() => {
      const job = this.row(id);
      if (job?.status === "running" && job.worker === worker) this.bump(id, set, ...params);
    });
  }

  async progress(id: string, worker: string, update: JobProgress): Promise<void> {
    const partials = [...(this.row(id)?.partials ?? []), ...(update.partial ? [update.partial] : [])];
    this.ifMine(id, worker, "progress = ?, partials = ?", JSON.stringify(update), JSON.stringify(partials));
  }

  async slotWait(id: string, worker: string, waiting: boolean): Promise<void> {
    this.ifMine(id, worker, "slot_wait = ?", waiting ? 1 : 0);
  }

  async markSent(id: string, worker: string): Promise<SendClearance> {
    return this.db.write(() => {
      const job = this.row(id);
      if (job?.status !== "running" || job.worker !== worker) return "taken";
      if (!job.sent && job.cancelRequested !== null) return "cancelled";
      if (!job.sent) this.bump(id, "sent = 1");
      return "sent";
    });
  }

  async finish(id: string, worker: string, outcome: JobOutcome): Promise<boolean> {
    return this.db.write(() => {
      const job = this.row(id);
      if (!job) return false;
      const mine = job.status === "running" && job.worker === worker;
      const late = job.status === "failed" && job.lost && outcome.status === "completed";
      if (!mine && !late) return false;
      this.bump(
        id,
        "status = ?, result = ?, end_reason = ?, finished_at = ?, lost = 0, slot_wait = 0, lease_until = NULL",
        outcome.status,
        JSON.stringify(outcome.result ?? null),
        outcome.endReason,
        Date.now(),
      );
      return true;
    });
  }

  async handBack(id: string, worker: string): Promise<void> {
    this.db.write(() => {
      const job = this.row(id);
      if (job?.status === "running" && job.worker === worker && !job.sent) this.bump(id, REQUEUE);
    });
  }

  async cancel(id: string, reason: string): Promise<BookJob | null> {
    return this.db.write(() => {
      const job = this.row(id);
      if (!job) return null;
      if (job.status === "queued") {
        this.bump(id, "status = 'cancelled', end_reason = ?, finished_at = ?", reason, Date.now());
      } else if (job.status === "running" && !job.sent && job.cancelRequested === null) {
        this.bump(id, "cancel_requested = ?", reason);
      }
      return this.row(id);
    });
  }

  async reap(): Promise<BookJob[]> {
    const lapsed = (job: BookJob) => (job.leaseUntil !== null && job.leaseUntil < Date.now()) || workerGone(job.worker);
    const candidates = this.db.all<JobRow>("SELECT * FROM jobs WHERE status = 'running'").map(rowToJob).filter(lapsed);
    if (candidates.length === 0) return [];
    return this.db.write(() => {
      const lost: BookJob[] = [];
      for (const seen of candidates) {
        const job = this.row(seen.id);
        // Renewed or finished meanwhile, or taken by another worker: not this reaper's to judge.
        if (job?.status !== "running" || job.worker !== seen.worker || !lapsed(job)) continue;
        if (!job.sent) {
          // Nothing was paid: another worker takes it from the start.
          this.bump(job.id, REQUEUE);
          continue;
        }
        this.bump(
          job.id,
          "status = 'failed', lost = 1, finished_at = ?, lease_until = NULL, slot_wait = 0",
          Date.now(),
        );
        lost.push(this.row(job.id) as BookJob);
      }
      return lost;
    });
  }

  watch(id: string, listener: JobListener): () => void {
    return this.changes.watch(id, listener);
  }

  onQueued(listener: () => void): () => void {
    return this.changes.onQueued(listener);
  }

  async reserve(request: ReserveRequest): Promise<ReserveOutcome> {
    return this.ledger.reserve(request);
  }

  async settle(id: string, usd: number): Promise<void> {
    this.ledger.setEntry(id, "settled", usd);
  }

  async release(id: string): Promise<void> {
    this.ledger.setEntry(id, "released");
  }

  async keep(id: string): Promise<void> {
    this.ledger.setEntry(id, "kept");
  }

  async assign(ids: string[], jobId: string): Promise<void> {
    this.ledger.assign(ids, jobId);
  }

  async spending(windowMs: number): Promise<SpendEntry[]> {
    return this.ledger.spending(windowMs);
  }

  async importSpending(entries: SpendEntry[]): Promise<void> {
    this.ledger.importSpending(entries);
  }

  async runnerAlive(pool: string): Promise<boolean> {
    return this.ledger.runnerAlive(pool);
  }

  async leaseRunner(pool: string, owner: string, leaseMs: number): Promise<boolean> {
    return this.ledger.leaseRunner(pool, owner, leaseMs);
  }

  async releaseRunner(pool: string, owner: string): Promise<void> {
    this.ledger.releaseRunner(pool, owner);
  }

  /** The book's processes share one machine, whose appends are atomic: no lock is needed. */
  withLock<T>(_name: string, fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  /**
   * Unreachable once closed, or once its file was deleted or replaced: this connection then writes to a book no other
   * process opens (a new one starts at that path), so a runner on it must stop taking jobs.
   */
  health(): BookHealth {
    return { store: "sqlite", reachable: !this.closed && inodeOf(this.path) === this.inode };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.changes.close();
    this.db.close();
  }
}

function inodeOf(path: string): number | null {
  try {
    return statSync(path).ino;
  } catch {
    return null;
  }
}
