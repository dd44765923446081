// The job book on Redis, for HTTP replicas sharing one deployment (PIXELWRIGHT_REDIS_URL): the same contract as the
// SQLite book (book.ts), each step one Lua script (redis-scripts.ts), changes announced by pub/sub — a waiting caller
// hears its job end at once, wherever it ran, with no timer polling. ioredis loads only from here, only when
// PIXELWRIGHT_REDIS_URL is set.

import type { Redis as RedisClient } from "ioredis";
import { BusyError } from "../errors.js";
import type { Logger } from "../log.js";
import { redactText } from "../secrets.js";
import {
  type BookHealth,
  type BookJob,
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
import { JobListeners } from "./listeners.js";
import { connectOrExplain } from "./redis-connect.js";
import { PREFIX, RedisLedger, type RedisScript } from "./redis-ledger.js";
import { SCRIPTS } from "./redis-scripts.js";
import { type JobRow, rowToJob } from "./sqlite-schema.js";

/** Finished jobs stay this long (identical requests, collection by job_id); the workspace records keep them after. */
const KEEP_MS = 7 * 24 * 60 * 60 * 1000;
const COMMAND_TIMEOUT_MS = 5000;
const RETRY_AFTER_S = 5;

export interface RedisBookOptions {
  url: string;
  logger: Logger;
}

export { pingRedis } from "./redis-connect.js";

export async function connectRedisBook(options: RedisBookOptions): Promise<RedisBook> {
  const { Redis } = await import("ioredis");
  (await connectOrExplain(Redis, options.url)).disconnect();
  const book = new RedisBook(Redis, options);
  await book.ready();
  return book;
}

const NULLABLE = ["key", "started_at", "finished_at", "request", "result", "end_reason", "worker", "lease_until"];

function hashToJob(hash: Record<string, string>): BookJob | null {
  if (!hash.id) return null;
  const row: Record<string, unknown> = { ...hash };
  for (const field of NULLABLE) if (row[field] === "" || row[field] === undefined) row[field] = null;
  if (!row.cancel_requested) row.cancel_requested = null;
  return rowToJob(row as unknown as JobRow);
}

const NOTHING_SENT = "nothing was sent";

export class RedisBook implements JobBook {
  readonly kind = "redis" as const;
  private readonly conn: RedisClient;
  private readonly sub: RedisClient;
  private readonly listeners = new JobListeners();
  private readonly queuedListeners = new Set<() => void>();
  private readonly ledger: RedisLedger;
  private closed = false;

  constructor(Redis: typeof RedisClient, options: RedisBookOptions) {
    const log = (err: Error) => options.logger.debug({ err: redactText(err.message) }, "redis connection error");
    this.conn = new Redis(options.url, { maxRetriesPerRequest: 1, commandTimeout: COMMAND_TIMEOUT_MS });
    this.conn.on("error", log);
    this.sub = new Redis(options.url, { maxRetriesPerRequest: null });
    this.sub.on("error", log);
    this.sub.on("message", (channel: string, message: string) => this.onMessage(channel, message));
    // Messages sent while disconnected are lost: every watched job is looked at again once connected.
    this.sub.on("ready", () => void this.recheckAll());
    this.ledger = new RedisLedger(this.conn, (script, args, unsent) => this.run(script, args, unsent), options.logger);
  }

  async ready(): Promise<void> {
    await this.sub.subscribe(`${PREFIX}events`, `${PREFIX}queued`);
  }

  /** Runs one script, and says truthfully why it could not (down, slow, or this server closing). */
  private async run(script: RedisScript, args: (string | number)[], unsent = NOTHING_SENT): Promise<unknown> {
    if (this.closed) {
      throw new BusyError("this server is shutting down; call again (another replica answers).", RETRY_AFTER_S);
    }
    try {
      return await this.conn.eval(SCRIPTS[script], 0, PREFIX, ...args.map(String));
    } catch (err) {
      throw this.busy(err, unsent);
    }
  }

  /** `unsent`: what did not happen because of it (for most commands, that nothing was sent upstream). */
  private busy(err: unknown, unsent = NOTHING_SENT): BusyError {
    const message = redactText((err as Error)?.message ?? String(err));
    if (this.conn.status === "ready" && /timed out/i.test(message)) {
      return new BusyError(
        `Redis (PIXELWRIGHT_REDIS_URL) is connected but did not answer within ${COMMAND_TIMEOUT_MS / 1000} s: it is overloaded, or this server is starved of CPU. ${unsent.charAt(0).toUpperCase()}${unsent.slice(1)}.`,
        RETRY_AFTER_S,
        { cause: err },
      );
    }
    // ioredis's own words for a dropped connection ("max retries per request") say nothing to a user.
    const detail = /max retries per request|Connection is closed/i.test(message) ? "" : ` (${message})`;
    return new BusyError(
      `Redis (PIXELWRIGHT_REDIS_URL) cannot be reached from this server${detail}; ${unsent}. Jobs already sent keep running on their replicas.`,
      RETRY_AFTER_S,
      { cause: err },
    );
  }

  private async read(id: string): Promise<BookJob | null> {
    if (this.closed) return null;
    try {
      return hashToJob(await this.conn.hgetall(`${PREFIX}job:${id}`));
    } catch (err) {
      throw this.busy(err);
    }
  }

  async submit(request: SubmitRequest): Promise<SubmitOutcome> {
    const now = Date.now();
    const id = newJobId();
    const progress: JobProgress = { progress: 0, message: `${request.about.label}: starting` };
    const fields: Record<string, string | number> = {
      id,
      key: request.key ?? "",
      pool: request.pool,
      status: "queued",
      label: request.about.label,
      typical: request.about.typical,
      created_at: now,
      updated_at: now,
      progress: JSON.stringify(progress),
      partials: "[]",
      payload: JSON.stringify(request.payload ?? null),
      request: JSON.stringify(request.request ?? null),
      sent: 0,
      lost: 0,
      slot_wait: 0,
      holds_slot: request.holdsSlot === false ? 0 : 1,
      attachments: 0,
      version: 0,
    };
    const head = [
      request.key ?? "",
      request.fresh ? "1" : "0",
      now,
      request.reuseWindowMs,
      request.maxActive ?? -1,
      id,
      now,
    ];
    const answer = (await this.run("SUBMIT", [...head, ...Object.entries(fields).flat()])) as string[];
    if (answer[0] === "busy") return { busy: Number(answer[1]) };
    const job = await this.read(answer[1] as string);
    if (!job) throw this.busy(new Error("the job vanished as it was made"));
    return { job, reused: answer[0] === "reused" };
  }

  get(id: string): Promise<BookJob | null> {
    return this.read(id);
  }

  async find(key: string, reuseWindowMs: number): Promise<BookJob | null> {
    const { isReusable } = await import("./book.js");
    const ids = await this.conn.zrevrange(`${PREFIX}key:${key}`, 0, 19).catch((err: unknown) => {
      throw this.busy(err);
    });
    const now = Date.now();
    for (const id of ids) {
      const job = await this.read(id);
      if (job && isReusable(job, now, reuseWindowMs)) return job;
    }
    return null;
  }

  async attach(id: string): Promise<number> {
    try {
      return await this.conn.hincrby(`${PREFIX}job:${id}`, "attachments", 1);
    } catch (err) {
      throw this.busy(err);
    }
  }

  async active(): Promise<number> {
    try {
      const [queued, running] = await Promise.all([
        this.conn.zcard(`${PREFIX}queued`),
        this.conn.zcard(`${PREFIX}running`),
      ]);
      return queued + running;
    } catch (err) {
      throw this.busy(err);
    }
  }

  async running(): Promise<number> {
    try {
      return await this.conn.zcard(`${PREFIX}running`);
    } catch (err) {
      throw this.busy(err);
    }
  }

  async list(since: number, limit: number): Promise<BookJob[]> {
    const ids = await this.conn.zrevrangebyscore(`${PREFIX}all`, "+inf", String(since), "LIMIT", 0, limit);
    const jobs = await Promise.all(ids.map((id) => this.read(id)));
    return jobs.filter((j): j is BookJob => j !== null);
  }

  async claim(worker: string, pool: string, limit: number, leaseMs: number): Promise<BookJob | null> {
    const now = Date.now();
    const id = (await this.run("CLAIM", [worker, pool, limit, now + leaseMs, now])) as string | null;
    return id ? this.read(id) : null;
  }

  async renew(worker: string, ids: string[], leaseMs: number): Promise<void> {
    if (ids.length) await this.run("RENEW", [worker, Date.now() + leaseMs, ...ids]);
  }

  private async setIfMine(id: string, worker: string, fields: Record<string, string | number>): Promise<void> {
    await this.run("SET_IF_MINE", [id, worker, Date.now(), ...Object.entries(fields).flat()]);
  }

  async progress(id: string, worker: string, update: JobProgress): Promise<void> {
    // Only the job's worker writes its progress, one write after another: reading the partials first is safe.
    const partials = JSON.parse((await this.conn.hget(`${PREFIX}job:${id}`, "partials")) ?? "[]") as unknown[];
    if (update.partial) partials.push(update.partial);
    await this.setIfMine(id, worker, { progress: JSON.stringify(update), partials: JSON.stringify(partials) });
  }

  async slotWait(id: string, worker: string, waiting: boolean): Promise<void> {
    await this.setIfMine(id, worker, { slot_wait: waiting ? 1 : 0 });
  }

  async markSent(id: string, worker: string): Promise<SendClearance> {
    return (await this.run("MARK_SENT", [id, worker, Date.now()])) as SendClearance;
  }

  async finish(id: string, worker: string, outcome: JobOutcome): Promise<boolean> {
    const args = [id, worker, outcome.status, JSON.stringify(outcome.result ?? null), outcome.endReason ?? ""];
    return (await this.run("FINISH", [...args, Date.now(), KEEP_MS])) === 1;
  }

  async handBack(id: string, worker: string): Promise<void> {
    await this.run("HAND_BACK", [id, worker, Date.now()]);
  }

  async cancel(id: string, reason: string): Promise<BookJob | null> {
    await this.run("CANCEL", [id, reason, Date.now(), KEEP_MS]);
    return this.read(id);
  }

  async reap(): Promise<BookJob[]> {
    if (this.closed) return [];
    const now = Date.now();
    const running: string[] = [];
    for (const set of [`${PREFIX}running`, `${PREFIX}running:noslot`]) {
      running.push(...(await this.conn.zrange(set, "0", "-1", "WITHSCORES").catch(() => [] as string[])));
    }
    const lost: BookJob[] = [];
    for (let i = 0; i + 1 < running.length; i += 2) {
      const id = running[i] as string;
      const leaseUntil = Number(running[i + 1]);
      const worker = await this.conn.hget(`${PREFIX}job:${id}`, "worker").catch(() => null);
      const dead = workerGone(worker);
      if (leaseUntil >= now && !dead) continue;
      const outcome = await this.run("REAP_ONE", [id, worker ?? "", Date.now(), dead ? "1" : "0", KEEP_MS]);
      if (outcome === "lost") {
        const job = await this.read(id);
        if (job) lost.push(job);
      }
    }
    return lost;
  }

  watch(id: string, listener: JobListener): () => void {
    return this.listeners.add(id, listener);
  }

  onQueued(listener: () => void): () => void {
    this.queuedListeners.add(listener);
    return () => this.queuedListeners.delete(listener);
  }

  private onMessage(channel: string, message: string): void {
    if (channel === `${PREFIX}queued`) {
      for (const listener of [...this.queuedListeners]) listener();
      return;
    }
    if (this.listeners.has(message)) void this.deliver(message);
  }

  private async deliver(id: string): Promise<void> {
    const hash = await this.conn.hgetall(`${PREFIX}job:${id}`).catch(() => null);
    const job = hash ? hashToJob(hash) : null;
    if (!job || !hash) return;
    this.listeners.tell(job, Number(hash.version));
  }

  private async recheckAll(): Promise<void> {
    for (const id of this.listeners.ids()) await this.deliver(id);
    for (const listener of [...this.queuedListeners]) listener();
  }

  reserve(request: ReserveRequest): Promise<ReserveOutcome> {
    return this.ledger.reserve(request);
  }

  settle(id: string, usd: number): Promise<void> {
    return this.ledger.setEntry(id, "settled", String(usd));
  }

  release(id: string): Promise<void> {
    return this.ledger.setEntry(id, "released");
  }

  keep(id: string): Promise<void> {
    return this.ledger.setEntry(id, "kept");
  }

  assign(ids: string[], jobId: string): Promise<void> {
    return this.ledger.assign(ids, jobId);
  }

  spending(windowMs: number): Promise<SpendEntry[]> {
    return this.ledger.spending(windowMs);
  }

  importSpending(entries: SpendEntry[]): Promise<void> {
    return this.ledger.importSpending(entries);
  }

  runnerAlive(pool: string): Promise<boolean> {
    return this.ledger.runnerAlive(pool);
  }

  leaseRunner(pool: string, owner: string, leaseMs: number): Promise<boolean> {
    return this.ledger.leaseRunner(pool, owner, leaseMs);
  }

  releaseRunner(pool: string, owner: string): Promise<void> {
    return this.ledger.releaseRunner(pool, owner);
  }

  withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.ledger.withLock(name, fn, () => this.closed);
  }

  health(): BookHealth {
    return { store: "redis", reachable: !this.closed && this.conn.status === "ready" };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.queuedListeners.clear();
    this.sub.disconnect();
    await this.conn.quit().catch(() => this.conn.disconnect());
  }
}
