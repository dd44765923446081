// Jobs shared by several replicas through Redis, on BullMQ: one queue, a global concurrency limit, deduplication of
// identical requests, progress events across processes, and the stalled-job rule that keeps paid work from being
// redone: a job whose replica dies mid-request fails ("replica lost") and is never taken by another worker, while
// jobs still waiting in the queue go to whichever replica is free. bullmq and ioredis load only from here, only when
// PIXELWRIGHT_REDIS_URL is set.

import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { hostname } from "node:os";
import type { Job as BullJob, Queue, QueueEvents, Worker } from "bullmq";
import type { Redis as RedisClient, RedisOptions } from "ioredis";
import { AbortedError, BusyError, ConfigError, UpstreamError } from "../errors.js";
import type { Logger } from "../log.js";
import { redactText } from "../secrets.js";
import type { ClusterHealth, JobCluster, SharedJob, SharedWork } from "./cluster.js";
import { newJobId } from "./ids.js";
import type { JobContext, JobProgress } from "./registry.js";
import { CANCELLED, isProgress, sharedView, withTimeout } from "./shared-view.js";

const QUEUE = "generate";
const PREFIX = "pixelwright";
const RETRY_AFTER_S = 5;
const POLL_MS = 1000;
const KEEP = { age: 24 * 3600, count: 5000 };
const LOCK_WAIT_MS = 5000;
/** Deletes a lock only if this holder still owns it. */
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

export interface RedisClusterOptions<P, R> {
  url: string;
  logger: Logger;
  /** Upstream requests in flight across every replica (PIXELWRIGHT_MAX_CONCURRENCY). */
  concurrency: number;
  /** Running plus queued jobs across every replica; beyond that submit answers "busy". */
  maxActive: number;
  /** How long a completed job answers identical requests. */
  reuseWindowMs?: number;
  /** How long a replica's job lock lives without renewal: how soon a dead replica's job is declared lost. */
  lockMs?: number;
  work: SharedWork<P, R>;
}

interface JobData<P> {
  payload: P;
  label: string;
  typical: string;
}

type Bull = typeof import("bullmq");

/** Connects, or explains at start why it cannot (a clear error, not a hang). */
async function probe(Redis: typeof RedisClient, url: string): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw new ConfigError(
      `cannot reach Redis at ${redactText(url)} (PIXELWRIGHT_REDIS_URL): ${redactText((err as Error).message)}. Start Redis or fix the URL, or unset PIXELWRIGHT_REDIS_URL to run as a single server.`,
      { cause: err },
    );
  } finally {
    client.disconnect();
  }
}

/** Connects and PINGs once (`pixelwright doctor`); throws the same ConfigError the server would give at start. */
export async function pingRedis(url: string): Promise<void> {
  const { Redis } = await import("ioredis");
  await probe(Redis, url);
}

export async function connectRedisCluster<P, R>(options: RedisClusterOptions<P, R>): Promise<JobCluster<P, R>> {
  const [bull, { Redis }] = await Promise.all([import("bullmq"), import("ioredis")]);
  await probe(Redis, options.url);
  const cluster = new RedisCluster<P, R>(bull, Redis, options);
  await cluster.ready();
  return cluster;
}

class RedisCluster<P, R> implements JobCluster<P, R> {
  private readonly conn: RedisClient;
  private readonly sub: RedisClient;
  private readonly queue: Queue;
  private readonly events: QueueEvents;
  private readonly worker: Worker;
  private readonly bus = new EventEmitter();
  private readonly clients: RedisClient[] = [];
  private readonly bull: Bull;
  private readonly logger: Logger;
  private lastWorkerError = 0;
  private runningHere = 0;
  private closing: Promise<void> | null = null;

  constructor(
    bull: Bull,
    Redis: typeof RedisClient,
    private readonly options: RedisClusterOptions<P, R>,
  ) {
    this.bull = bull;
    this.logger = options.logger;
    this.bus.setMaxListeners(0);
    const client = (extra: RedisOptions = {}) => {
      const c = new Redis(options.url, { maxRetriesPerRequest: null, ...extra });
      c.on("error", (err) => this.logger.debug({ err: redactText(err.message) }, "redis connection error"));
      this.clients.push(c);
      return c;
    };
    this.conn = client();
    this.sub = client();
    const lockMs = options.lockMs ?? 30_000;
    this.queue = new bull.Queue(QUEUE, { connection: this.conn, prefix: PREFIX });
    this.events = new bull.QueueEvents(QUEUE, { connection: client(), prefix: PREFIX });
    this.worker = new bull.Worker(QUEUE, (job, _token, signal) => this.process(job as BullJob<JobData<P>>, signal), {
      connection: client(),
      prefix: PREFIX,
      autorun: false,
      name: `${hostname()}:${process.pid}`,
      concurrency: options.concurrency,
      // The money rule: a job whose replica stopped renewing its lock mid-request fails; it is never re-run.
      maxStalledCount: 0,
      lockDuration: lockMs,
      stalledInterval: Math.max(500, Math.round(lockMs / 2)),
      removeOnComplete: KEEP,
      removeOnFail: KEEP,
    });
    this.wire();
  }

  /** Connected, the global limit set and progress events flowing: the replica can take calls. */
  async ready(): Promise<void> {
    await Promise.all([this.queue.waitUntilReady(), this.events.waitUntilReady()]);
    await this.queue.setGlobalConcurrency(this.options.concurrency);
  }

  private wire(): void {
    const { conn, events, worker, sub, logger } = this;
    let lost = false;
    conn.on("close", () => {
      if (!lost) logger.warn("lost contact with Redis: new calls answer busy until it is back");
      lost = true;
    });
    conn.on("ready", () => {
      if (lost) logger.info("Redis is back");
      lost = false;
      // A Redis that restarted empty forgets the global limit: set it on every (re)connect.
      void this.queue.setGlobalConcurrency(this.options.concurrency).catch(() => {});
    });
    events.on("progress", ({ jobId, data }) => {
      if (isProgress(data)) this.bus.emit(`progress:${jobId}`, data);
    });
    events.on("completed", ({ jobId }) => this.bus.emit(`end:${jobId}`));
    events.on("failed", ({ jobId }) => this.bus.emit(`end:${jobId}`));
    events.on("error", (err) => logger.debug({ err: redactText(err.message) }, "redis events error"));
    worker.on("error", (err) => {
      if (Date.now() - this.lastWorkerError < 30_000) return;
      this.lastWorkerError = Date.now();
      logger.warn({ err: redactText(err.message) }, "shared job worker error");
    });
    void sub.subscribe(`${PREFIX}:cancel`).catch(() => {});
    sub.on("message", (_channel: string, message: string) => {
      const [id, reason] = message.split("\t");
      if (id) this.worker.cancelJob(id, `${CANCELLED}${reason ?? "cancelled"}`);
    });
  }

  /** Runs one job taken from the shared queue on this replica. */
  private async process(job: BullJob<JobData<P>>, signal?: AbortSignal): Promise<R> {
    const id = job.id as string;
    const asked = await this.conn.get(`${PREFIX}:cancel:${id}`);
    if (asked) throw new AbortedError(`${CANCELLED}${asked}`);
    const controller = new AbortController();
    signal?.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
    let seq = isProgress(job.progress) ? job.progress.progress : 0;
    const partials: NonNullable<JobProgress["partial"]>[] = [];
    const ctx: JobContext = {
      jobId: id,
      signal: controller.signal,
      report: (message, partial) => {
        seq++;
        const update: JobProgress = { progress: seq, message, ...(partial ? { partial } : {}) };
        if (partial) partials.push(partial);
        this.bus.emit(`progress:${id}`, update);
        // The partials so far travel with each update, so a replica reading the job later lists them all.
        job.updateProgress({ ...update, partials: [...partials] }).catch(() => {});
      },
      setStatus: () => {},
      // A caller leaving cancels a shared job only while it is still queued (usecases/shared.ts).
      markSent: () => {},
    };
    this.logger.info({ job: id }, "running a shared job on this replica");
    this.runningHere++;
    try {
      return await this.options.work(job.data.payload, ctx);
    } catch (err) {
      if (controller.signal.aborted) {
        const reason = String(controller.signal.reason ?? "cancelled");
        throw new AbortedError(reason.startsWith(CANCELLED) ? reason : `${CANCELLED}${reason}`, { cause: err });
      }
      if (err instanceof UpstreamError && err.details.requestId) {
        err.message = `${err.message} (request id ${err.details.requestId})`;
      }
      throw err;
    } finally {
      this.runningHere--;
    }
  }

  private unreachable(jobId?: string): BusyError {
    return new BusyError(
      jobId
        ? `the shared job registry (Redis) is unreachable; job ${jobId} is not lost: collect it with verify_image job_id after ${RETRY_AFTER_S} s.`
        : `the shared job registry (Redis) is unreachable; nothing was sent. Retry after ${RETRY_AFTER_S} s.`,
      RETRY_AFTER_S,
    );
  }

  /** A Redis command, or "busy" at once when Redis is away (never a call that hangs until it returns). */
  private redis<T>(fn: () => Promise<T>, jobId?: string): Promise<T> {
    if (this.conn.status !== "ready") return Promise.reject(this.unreachable(jobId));
    return withTimeout(fn(), () => this.unreachable(jobId));
  }

  async get(id: string): Promise<SharedJob<R> | null> {
    return this.redis(async () => {
      const job = (await this.bull.Job.fromId(this.queue, id)) as BullJob<JobData<P>, R> | undefined;
      if (!job) return null;
      return sharedView<R>(job, await job.getState());
    }, id);
  }

  async submit(request: { key: string | null; about: { label: string; typical: string }; payload: P }) {
    const { key, about, payload } = request;
    if (key) {
      const found = await this.redis(() => this.queue.getDeduplicationJobId(key));
      const existing = found ? await this.get(found) : null;
      if (existing && (existing.status === "completed" || existing.finishedAt === null)) {
        return { job: existing, reused: true };
      }
      if (found) await this.redis(() => this.queue.removeDeduplicationKey(key));
    }
    const counts = await this.redis(() => this.queue.getJobCounts("active", "waiting", "prioritized", "delayed"));
    const active = Object.values(counts).reduce((a, b) => a + b, 0);
    if (active >= this.options.maxActive) {
      throw new BusyError(
        `${active} generations are running or queued across the replicas (the limit is ${this.options.maxActive}: PIXELWRIGHT_MAX_CONCURRENCY + PIXELWRIGHT_MAX_QUEUED); nothing was sent.`,
        30,
      );
    }
    const id = newJobId();
    const data: JobData<P> = { payload, ...about };
    const ttl = this.options.reuseWindowMs ?? 10 * 60 * 1000;
    const added = await this.redis(() =>
      this.queue.add(QUEUE, data, { jobId: id, ...(key ? { deduplication: { id: key, ttl } } : {}) }),
    );
    const job = await this.get(added.id as string);
    if (!job) throw this.unreachable();
    // Another replica added the same request a moment earlier: BullMQ handed back its job.
    return { job, reused: added.id !== id };
  }

  async wait(id: string, ms: number, signal?: AbortSignal): Promise<SharedJob<R> | null> {
    const deadline = Date.now() + ms;
    for (;;) {
      const job = await this.get(id);
      const left = deadline - Date.now();
      if (!job || job.finishedAt !== null || left <= 0 || signal?.aborted) return job;
      await this.nextEvent(id, Math.min(left, POLL_MS), signal);
    }
  }

  private nextEvent(id: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.bus.off(`end:${id}`, done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.bus.on(`end:${id}`, done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  subscribe(id: string, listener: (update: JobProgress) => void): () => void {
    let last = 0;
    // A job running here reports both locally and through Redis: each update is delivered once.
    const once = (update: JobProgress) => {
      if (update.progress <= last) return;
      last = update.progress;
      listener(update);
    };
    this.bus.on(`progress:${id}`, once);
    return () => this.bus.off(`progress:${id}`, once);
  }

  async attach(id: string): Promise<number> {
    const key = `${PREFIX}:attached:${id}`;
    return this.redis(async () => {
      const n = await this.conn.incr(key);
      await this.conn.expire(key, KEEP.age);
      return n;
    }, id);
  }

  async cancel(id: string, reason: string): Promise<void> {
    await this.redis(async () => {
      await this.conn.set(`${PREFIX}:cancel:${id}`, reason, "EX", 3600);
      await this.conn.publish(`${PREFIX}:cancel`, `${id}\t${reason}`);
    }, id);
  }

  async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const key = `${PREFIX}:lock:${name}`;
    const token = randomBytes(8).toString("hex");
    const deadline = Date.now() + LOCK_WAIT_MS;
    let held = false;
    while (!held && this.conn.status === "ready" && Date.now() < deadline) {
      held = (await this.redis(() => this.conn.set(key, token, "PX", 10_000, "NX")).catch(() => null)) === "OK";
      if (!held) await new Promise((r) => setTimeout(r, 10));
    }
    if (!held) this.logger.warn({ lock: name }, "could not take the shared lock; going ahead without it");
    try {
      return await fn();
    } finally {
      if (held) await this.redis(() => this.conn.eval(RELEASE, 1, key, token)).catch(() => {});
    }
  }

  health(): ClusterHealth {
    return {
      redis: this.conn.status === "ready" ? "connected" : "unreachable",
      running_here: this.runningHere,
    };
  }

  start(): void {
    void this.worker.run().catch((err: Error) => this.logger.error({ err: redactText(err.message) }, "worker stopped"));
  }

  close(graceMs = 10_000): Promise<void> {
    this.closing ??= (async () => {
      // Stop taking jobs now: queued ones stay in Redis for the other replicas. Running ones get the grace period.
      const cancel = setTimeout(() => this.worker.cancelAllJobs("the server is shutting down"), graceMs);
      const closed = this.worker.close();
      await Promise.race([closed, new Promise((r) => setTimeout(r, graceMs + 5000).unref())]);
      clearTimeout(cancel);
      await Promise.race([
        Promise.allSettled([this.events.close(), this.queue.close()]),
        new Promise((r) => setTimeout(r, 2000).unref()),
      ]);
      for (const c of this.clients) c.disconnect();
    })();
    return this.closing;
  }
}
