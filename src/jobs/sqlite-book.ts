// The job book in SQLite (Node's built-in node:sqlite, WAL): one database file in the workspace shared by every
// pixelwright process that uses it — stdio servers, one-shot CLI calls, detached runners, an HTTP server. Writes are
// short IMMEDIATE transactions (the database's write lock serializes them across processes); readers never block.
// Other processes' changes are noticed through the directory watch (inotify and the like) and, as a fallback where
// the file system sends no events, through PRAGMA data_version checked on a short timer while anyone listens.

import { watch as watchDir, type FSWatcher } from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";
import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import { randomBytes } from "node:crypto";
import {
  type BookHealth,
  type BookJob,
  isReusable,
  type JobBook,
  type JobListener,
  type JobOutcome,
  type JobProgress,
  newJobId,
  parseWorker,
  type ReserveOutcome,
  type ReserveRequest,
  type SpendEntry,
  type SubmitOutcome,
  type SubmitRequest,
} from "./book.js";
import { SCHEMA, rowToJob, type JobRow } from "./sqlite-schema.js";

/** How often other processes' changes are looked for when the file system sends no events. */
const FALLBACK_POLL_MS = 200;
const HOST = hostname();

/** node:sqlite, loaded without its "experimental" warning on the stderr of every process that opens the book. */
async function loadSqlite(): Promise<typeof import("node:sqlite")> {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning).includes("SQLite")) return;
    return (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return await import("node:sqlite");
  } finally {
    process.emitWarning = emit;
  }
}

/** Whether a process of this host is gone (a worker killed with -9 is recognised at once). */
function deadHere(worker: string | null): boolean {
  if (!worker) return false;
  const parsed = parseWorker(worker);
  if (!parsed || parsed.host !== HOST || parsed.pid === process.pid) return false;
  try {
    process.kill(parsed.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

export interface SqliteBookOptions {
  /** The database file (the workspace's `.pixelwright/state.db`); its folder must exist. */
  path: string;
  /** Notified when a change could not be looked at (a locked or broken database): logged, never thrown. */
  onError?: (err: unknown) => void;
}

export async function openSqliteBook(options: SqliteBookOptions): Promise<SqliteBook> {
  const { DatabaseSync } = await loadSqlite();
  const db = new DatabaseSync(options.path);
  // Another process may be creating the schema at this very moment: wait for its lock rather than fail.
  db.exec("PRAGMA busy_timeout = 10000");
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec(SCHEMA);
  return new SqliteBook(db, options);
}

export class SqliteBook implements JobBook {
  readonly kind = "sqlite" as const;
  private readonly statements = new Map<string, StatementSync>();
  private readonly listeners = new Map<string, Set<JobListener>>();
  private readonly queuedListeners = new Set<() => void>();
  /** The version of each watched job as last reported, so a listener hears each change once. */
  private readonly seen = new Map<string, number>();
  private dataVersion = -1;
  private watcher: FSWatcher | null = null;
  private poll: NodeJS.Timeout | null = null;
  private checking = false;
  private recheck = false;
  /** A write of this process since the last look (data_version moves only for other processes' commits). */
  private pending = false;
  private closed = false;

  constructor(
    private readonly db: DatabaseSync,
    private readonly options: SqliteBookOptions,
  ) {}

  private stmt(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private one(sql: string, ...params: SQLInputValue[]): JobRow | undefined {
    return this.stmt(sql).get(...params) as JobRow | undefined;
  }

  /** Runs fn in one write transaction (BEGIN IMMEDIATE takes the database's write lock: processes serialize here). */
  private write<T>(fn: () => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    let result: T;
    try {
      result = fn();
      this.db.exec("COMMIT");
    } catch (err) {
      this.db.exec("ROLLBACK");
      throw err;
    }
    this.pending = true;
    this.changed();
    return result;
  }

  private bump(id: string, set: string, ...params: SQLInputValue[]): number {
    const sql = `UPDATE jobs SET ${set}, version = version + 1, updated_at = ? WHERE id = ?`;
    return Number(this.stmt(sql).run(...params, Date.now(), id).changes);
  }

  async submit(request: SubmitRequest): Promise<SubmitOutcome> {
    return this.write(() => {
      const now = Date.now();
      if (request.key !== null && !request.fresh) {
        const rows = this.stmt("SELECT * FROM jobs WHERE key = ? ORDER BY created_at DESC LIMIT 20").all(
          request.key,
        ) as unknown as JobRow[];
        const found = rows.map(rowToJob).find((job) => isReusable(job, now, request.reuseWindowMs));
        if (found) return { job: found, reused: true };
      }
      if (request.maxActive !== undefined) {
        const active = this.countActive();
        if (active >= request.maxActive) return { busy: active };
      }
      const id = newJobId();
      const progress: JobProgress = { progress: 0, message: `${request.about.label}: starting` };
      this.stmt(
        `INSERT INTO jobs (id, key, pool, status, label, typical, created_at, updated_at, progress, payload, request)
         VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
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
      );
      const job = rowToJob(this.one("SELECT * FROM jobs WHERE id = ?", id) as JobRow);
      return { job, reused: false };
    });
  }

  private countActive(): number {
    const row = this.stmt("SELECT COUNT(*) AS n FROM jobs WHERE status IN ('queued', 'running')").get() as {
      n: number;
    };
    return Number(row.n);
  }

  async get(id: string): Promise<BookJob | null> {
    const row = this.one("SELECT * FROM jobs WHERE id = ?", id);
    return row ? rowToJob(row) : null;
  }

  async attach(id: string): Promise<number> {
    return this.write(() => {
      this.bump(id, "attachments = attachments + 1");
      const row = this.stmt("SELECT attachments FROM jobs WHERE id = ?").get(id) as { attachments: number } | undefined;
      return Number(row?.attachments ?? 0);
    });
  }

  async active(): Promise<number> {
    return this.countActive();
  }

  async list(since: number, limit: number): Promise<BookJob[]> {
    const rows = this.stmt("SELECT * FROM jobs WHERE created_at >= ? ORDER BY created_at DESC LIMIT ?").all(
      since,
      limit,
    ) as unknown as JobRow[];
    return rows.map(rowToJob);
  }

  async claim(worker: string, pool: string, limit: number, leaseMs: number): Promise<BookJob | null> {
    return this.write(() => {
      const running = this.stmt("SELECT COUNT(*) AS n FROM jobs WHERE status = 'running'").get() as { n: number };
      if (Number(running.n) >= limit) return null;
      const row = this.one(
        "SELECT * FROM jobs WHERE status = 'queued' AND pool = ? ORDER BY created_at LIMIT 1",
        pool,
      );
      if (!row) return null;
      const now = Date.now();
      this.bump(row.id, "status = 'running', worker = ?, lease_until = ?, started_at = ?", worker, now + leaseMs, now);
      return rowToJob(this.one("SELECT * FROM jobs WHERE id = ?", row.id) as JobRow);
    });
  }

  async renew(worker: string, ids: string[], leaseMs: number): Promise<void> {
    if (ids.length === 0) return;
    // A lease is renewed without a version bump: nobody waits on heartbeats.
    this.write(() => {
      const until = Date.now() + leaseMs;
      for (const id of ids) {
        this.stmt("UPDATE jobs SET lease_until = ? WHERE id = ? AND worker = ? AND status = 'running'").run(
          until,
          id,
          worker,
        );
      }
    });
  }

  async progress(id: string, worker: string, update: JobProgress): Promise<void> {
    this.write(() => {
      const row = this.stmt("SELECT partials FROM jobs WHERE id = ? AND worker = ?").get(id, worker) as
        | { partials: string }
        | undefined;
      if (!row) return;
      const partials = update.partial ? [...JSON.parse(row.partials), update.partial] : JSON.parse(row.partials);
      this.bump(id, "progress = ?, partials = ?", JSON.stringify(update), JSON.stringify(partials));
    });
  }

  async slotWait(id: string, worker: string, waiting: boolean): Promise<void> {
    this.write(() => {
      this.stmt("UPDATE jobs SET slot_wait = ?, version = version + 1 WHERE id = ? AND worker = ?").run(
        waiting ? 1 : 0,
        id,
        worker,
      );
    });
  }

  async markSent(id: string, worker: string): Promise<void> {
    this.write(() => {
      this.stmt("UPDATE jobs SET sent = 1, version = version + 1 WHERE id = ? AND worker = ? AND sent = 0").run(
        id,
        worker,
      );
    });
  }

  async finish(id: string, worker: string, outcome: JobOutcome): Promise<boolean> {
    return this.write(() => {
      const row = this.one("SELECT * FROM jobs WHERE id = ?", id);
      if (!row) return false;
      const job = rowToJob(row);
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
    this.write(() => {
      this.stmt(
        `UPDATE jobs SET status = 'queued', worker = NULL, lease_until = NULL, started_at = NULL, slot_wait = 0,
           version = version + 1, updated_at = ? WHERE id = ? AND worker = ? AND status = 'running' AND sent = 0`,
      ).run(Date.now(), id, worker);
    });
  }

  async cancel(id: string, reason: string): Promise<BookJob | null> {
    return this.write(() => {
      const row = this.one("SELECT * FROM jobs WHERE id = ?", id);
      if (!row) return null;
      const job = rowToJob(row);
      if (job.status === "queued") {
        this.bump(id, "status = 'cancelled', end_reason = ?, finished_at = ?", reason, Date.now());
      } else if (job.status === "running" && !job.sent && job.cancelRequested === null) {
        this.bump(id, "cancel_requested = ?", reason);
      }
      return rowToJob(this.one("SELECT * FROM jobs WHERE id = ?", id) as JobRow);
    });
  }

  async reap(): Promise<BookJob[]> {
    const now = Date.now();
    const candidates = (this.stmt("SELECT * FROM jobs WHERE status = 'running'").all() as unknown as JobRow[])
      .map(rowToJob)
      .filter((job) => (job.leaseUntil !== null && job.leaseUntil < now) || deadHere(job.worker));
    if (candidates.length === 0) return [];
    return this.write(() => {
      const lost: BookJob[] = [];
      for (const seen of candidates) {
        const row = this.one("SELECT * FROM jobs WHERE id = ? AND status = 'running' AND worker IS ?", seen.id, seen.worker);
        if (!row) continue; // renewed or finished meanwhile
        const job = rowToJob(row);
        const expired = job.leaseUntil !== null && job.leaseUntil < Date.now();
        if (!expired && !deadHere(job.worker)) continue;
        if (!job.sent) {
          // Nothing was paid: another worker takes it from the start.
          this.bump(job.id, "status = 'queued', worker = NULL, lease_until = NULL, started_at = NULL, slot_wait = 0");
          continue;
        }
        this.bump(job.id, "status = 'failed', lost = 1, finished_at = ?, lease_until = NULL, slot_wait = 0", Date.now());
        lost.push(rowToJob(this.one("SELECT * FROM jobs WHERE id = ?", job.id) as JobRow));
      }
      return lost;
    });
  }

  watch(id: string, listener: JobListener): () => void {
    let set = this.listeners.get(id);
    if (!set) {
      set = new Set();
      this.listeners.set(id, set);
    }
    set.add(listener);
    this.startWatching();
    return () => {
      const current = this.listeners.get(id);
      current?.delete(listener);
      if (current?.size === 0) {
        this.listeners.delete(id);
        this.seen.delete(id);
      }
      this.stopWatchingWhenIdle();
    };
  }

  onQueued(listener: () => void): () => void {
    this.queuedListeners.add(listener);
    this.startWatching();
    return () => {
      this.queuedListeners.delete(listener);
      this.stopWatchingWhenIdle();
    };
  }

  async reserve(request: ReserveRequest): Promise<ReserveOutcome> {
    return this.write(() => {
      const now = Date.now();
      if (request.limitUsd !== null) {
        const entries = this.spendingSince(now - request.windowMs);
        const spent = entries.reduce((sum, e) => sum + e.usd, 0);
        if (spent + request.usd > request.limitUsd + 1e-9) return { ok: false as const, entries };
      }
      const parts = Math.max(1, request.parts ?? 1);
      const ids: string[] = [];
      const insert = this.stmt(
        "INSERT INTO ledger (id, job_id, step, usd, state, created_at, updated_at) VALUES (?, ?, ?, ?, 'reserved', ?, ?)",
      );
      for (let part = 0; part < parts; part++) {
        const id = `rsv_${randomBytes(12).toString("hex")}`;
        const step = parts > 1 ? `${request.step} (${part + 1} of ${parts})` : request.step;
        insert.run(id, request.jobId, step, request.usd / parts, now, now);
        ids.push(id);
      }
      return { ok: true as const, ids };
    });
  }

  private spendingSince(since: number): SpendEntry[] {
    const rows = this.stmt(
      "SELECT created_at AS at, usd FROM ledger WHERE created_at > ? AND state != 'released' ORDER BY created_at",
    ).all(since) as { at: number; usd: number }[];
    return rows.map((r) => ({ at: Number(r.at), usd: Number(r.usd) }));
  }

  private setEntry(id: string, state: string, usd?: number): void {
    this.write(() => {
      const sql =
        usd === undefined
          ? "UPDATE ledger SET state = ?, updated_at = ? WHERE id = ? AND state = 'reserved'"
          : "UPDATE ledger SET state = ?, usd = ?, updated_at = ? WHERE id = ? AND state = 'reserved'";
      const params: SQLInputValue[] = usd === undefined ? [state, Date.now(), id] : [state, usd, Date.now(), id];
      this.stmt(sql).run(...params);
    });
  }

  async settle(id: string, usd: number): Promise<void> {
    this.setEntry(id, "settled", usd);
  }

  async release(id: string): Promise<void> {
    this.setEntry(id, "released");
  }

  async keep(id: string): Promise<void> {
    this.setEntry(id, "kept");
  }

  async assign(ids: string[], jobId: string): Promise<void> {
    this.write(() => {
      for (const id of ids) this.stmt("UPDATE ledger SET job_id = ? WHERE id = ?").run(jobId, id);
    });
  }

  async spending(windowMs: number): Promise<SpendEntry[]> {
    return this.spendingSince(Date.now() - windowMs);
  }

  async importSpending(entries: SpendEntry[]): Promise<void> {
    this.write(() => {
      const done = this.stmt("SELECT v FROM meta WHERE k = 'imported_spending'").get();
      if (done) return;
      const insert = this.stmt(
        "INSERT INTO ledger (id, job_id, step, usd, state, created_at, updated_at) VALUES (?, NULL, 'before the job book', ?, 'settled', ?, ?)",
      );
      for (const entry of entries) insert.run(`imp_${randomBytes(12).toString("hex")}`, entry.usd, entry.at, entry.at);
      this.stmt("INSERT INTO meta (k, v) VALUES ('imported_spending', ?)").run(String(Date.now()));
    });
  }

  async runnerAlive(pool: string): Promise<boolean> {
    const row = this.stmt("SELECT owner, lease_until FROM runners WHERE pool = ?").get(pool) as
      | { owner: string; lease_until: number }
      | undefined;
    return row !== undefined && Number(row.lease_until) > Date.now() && !deadHere(row.owner);
  }

  async leaseRunner(pool: string, owner: string, leaseMs: number): Promise<boolean> {
    return this.write(() => {
      const row = this.stmt("SELECT owner, lease_until FROM runners WHERE pool = ?").get(pool) as
        | { owner: string; lease_until: number }
        | undefined;
      const now = Date.now();
      const held = row !== undefined && row.owner !== owner && Number(row.lease_until) > now && !deadHere(row.owner);
      if (held) return false;
      this.stmt(
        "INSERT INTO runners (pool, owner, lease_until) VALUES (?, ?, ?) ON CONFLICT(pool) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until",
      ).run(pool, owner, now + leaseMs);
      return true;
    });
  }

  async releaseRunner(pool: string, owner: string): Promise<void> {
    this.write(() => this.stmt("DELETE FROM runners WHERE pool = ? AND owner = ?").run(pool, owner));
  }

  health(): BookHealth {
    return { store: "sqlite", reachable: !this.closed };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.queuedListeners.clear();
    this.stopWatchingWhenIdle();
    this.db.close();
  }

  // --- noticing changes -------------------------------------------------------------------------------------------

  private startWatching(): void {
    if (this.closed || this.poll) return;
    this.dataVersion = this.readDataVersion();
    try {
      this.watcher = watchDir(dirname(this.options.path), { persistent: false }, () => this.changed());
      this.watcher.on("error", () => {
        this.watcher?.close();
        this.watcher = null;
      });
    } catch {
      this.watcher = null; // no events on this file system: the timer below still notices
    }
    this.poll = setInterval(() => this.changed(), FALLBACK_POLL_MS);
    this.poll.unref();
  }

  private stopWatchingWhenIdle(): void {
    if (this.listeners.size > 0 || this.queuedListeners.size > 0) return;
    this.watcher?.close();
    this.watcher = null;
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
  }

  private readDataVersion(): number {
    const row = this.db.prepare("PRAGMA data_version").get() as { data_version: number };
    return Number(row.data_version);
  }

  /** Something may have changed (here, or in another process): tell whoever listens, once per change. */
  private changed(): void {
    if (this.closed || (this.listeners.size === 0 && this.queuedListeners.size === 0)) return;
    if (this.checking) {
      this.recheck = true;
      return;
    }
    this.checking = true;
    setImmediate(() => {
      try {
        this.deliver();
      } catch (err) {
        this.options.onError?.(err);
      } finally {
        this.checking = false;
        if (this.recheck) {
          this.recheck = false;
          this.changed();
        }
      }
    });
  }

  private deliver(): void {
    if (this.closed) return;
    const version = this.readDataVersion();
    if (version === this.dataVersion && !this.pending) return;
    this.dataVersion = version;
    this.pending = false;
    for (const [id, set] of this.listeners) {
      const row = this.one("SELECT * FROM jobs WHERE id = ?", id);
      if (!row) continue;
      const version = Number(row.version);
      if (this.seen.get(id) === version) continue;
      this.seen.set(id, version);
      const job = rowToJob(row);
      for (const listener of [...set]) listener(job);
    }
    if (this.queuedListeners.size > 0) {
      const queued = this.stmt("SELECT 1 FROM jobs WHERE status = 'queued' LIMIT 1").get();
      if (queued) for (const listener of [...this.queuedListeners]) listener();
    }
  }
}
