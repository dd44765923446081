// The spend ledger, the runner lease and the shared lock of the Redis job book: each check-and-change one Lua script
// (redis-scripts.ts), so replicas reserving at once never both take the last of the cap's room.

import { randomBytes } from "node:crypto";
import type { Redis as RedisClient } from "ioredis";
import type { Logger } from "../log.js";
import { type ReserveOutcome, type ReserveRequest, type SpendEntry, workerGone } from "./book.js";
import * as LUA from "./redis-scripts.js";

export const PREFIX = "pixelwright:";
export type RedisScript = keyof typeof LUA.SCRIPTS;
const LOCK_WAIT_MS = 5000;
const ENTRY_TTL_MS = 3 * 86_400_000;

function pairsToEntries(flat: string[]): SpendEntry[] {
  const out: SpendEntry[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ at: Number(flat[i]), usd: Number(flat[i + 1]) });
  return out;
}

export class RedisLedger {
  constructor(
    private readonly conn: RedisClient,
    private readonly run: (script: RedisScript, args: (string | number)[], unsent?: string) => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  async reserve(request: ReserveRequest): Promise<ReserveOutcome> {
    const now = Date.now();
    const parts = Math.max(1, request.parts ?? 1);
    const ids = Array.from({ length: parts }, () => `rsv_${randomBytes(12).toString("hex")}`);
    const head = [request.limitUsd ?? -1, now - request.windowMs, now, request.usd / parts, request.jobId ?? ""];
    const answer = (await this.run("RESERVE", [...head, request.step, ...ids])) as string[];
    if (answer[0] === "ok") return { ok: true, ids };
    return { ok: false, entries: pairsToEntries(answer.slice(1)) };
  }

  async setEntry(id: string, state: "settled" | "released" | "kept", usd = ""): Promise<void> {
    // The step was sent: what failed is only its entry, which keeps counting at its estimate.
    await this.run(
      "SET_ENTRY",
      [id, state, usd],
      `the step's outcome (${state}) is not in the spend ledger, which counts its estimate meanwhile`,
    );
  }

  async assign(ids: string[], jobId: string): Promise<void> {
    await Promise.all(ids.map((id) => this.conn.hset(`${PREFIX}rsv:${id}`, "job", jobId)));
  }

  async spending(windowMs: number): Promise<SpendEntry[]> {
    return pairsToEntries((await this.run("SPENDING", [Date.now() - windowMs])) as string[]);
  }

  async importSpending(entries: SpendEntry[]): Promise<void> {
    if ((await this.conn.set(`${PREFIX}meta:imported`, String(Date.now()), "NX")) !== "OK") return;
    for (const entry of entries) {
      const id = `imp_${randomBytes(12).toString("hex")}`;
      await this.conn.hset(`${PREFIX}rsv:${id}`, { state: "settled", usd: String(entry.usd), at: String(entry.at) });
      await this.conn.pexpire(`${PREFIX}rsv:${id}`, ENTRY_TTL_MS);
      await this.conn.zadd(`${PREFIX}ledger`, entry.at, id);
    }
  }

  async runnerAlive(pool: string): Promise<boolean> {
    const [owner, until] = await this.conn.hmget(`${PREFIX}runner:${pool}`, "owner", "lease_until");
    return owner != null && Number(until) > Date.now() && !workerGone(owner);
  }

  async leaseRunner(pool: string, owner: string, leaseMs: number): Promise<boolean> {
    const current = await this.conn.hget(`${PREFIX}runner:${pool}`, "owner");
    const now = Date.now();
    return (await this.run("LEASE_RUNNER", [pool, owner, now + leaseMs, now, workerGone(current) ? "1" : "0"])) === 1;
  }

  async releaseRunner(pool: string, owner: string): Promise<void> {
    const key = `${PREFIX}runner:${pool}`;
    if ((await this.conn.hget(key, "owner")) === owner) await this.conn.del(key);
  }

  /** Runs fn holding a lock every replica respects (waits up to a few seconds, then goes ahead and says so). */
  async withLock<T>(name: string, fn: () => Promise<T>, closed: () => boolean): Promise<T> {
    const key = `${PREFIX}lock:${name}`;
    const token = randomBytes(8).toString("hex");
    const deadline = Date.now() + LOCK_WAIT_MS;
    let held = false;
    while (!held && Date.now() < deadline && !closed()) {
      held = (await this.conn.set(key, token, "PX", 10_000, "NX").catch(() => null)) === "OK";
      if (!held) await new Promise((r) => setTimeout(r, 20));
    }
    if (!held) this.logger.warn({ lock: name }, "could not take the shared lock; going ahead without it");
    try {
      return await fn();
    } finally {
      if (held) await this.conn.eval(LUA.RELEASE_LOCK, 1, key, token).catch(() => {});
    }
  }
}
