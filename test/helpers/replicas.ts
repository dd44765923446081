// Two `pixelwright http` replicas from dist on one Redis, one simulator and one shared workspace, started once for a
// test file and stopped after it: the harness every replica suite shares. A test may replace a replica (and its
// client) on the pair; the pair stops whatever it holds at the end.

import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { type Simulator, startSimulator } from "../../src/simulator/server.js";
import { type HttpServerProcess, httpClient, spawnHttp } from "./http.js";
import { type RedisServer, startRedis } from "./redis.js";
import { connectWithSimulator, type SimHarness } from "./simulated.js";
import { tempWorkspace } from "./spawn.js";

export interface ReplicaPair {
  redis: RedisServer;
  sim: Simulator;
  a: HttpServerProcess;
  b: HttpServerProcess;
  clientA: Client;
  clientB: Client;
  readonly workspace: string;
  /** The environment a replica of this pair runs with, with `extra` on top. */
  env(extra?: Record<string, string>): Record<string, string>;
}

/** Registers the file's hooks (start before all, reset the simulator before each, stop after all) and returns the pair. */
export function useReplicaPair(key: string): ReplicaPair {
  const workspace = tempWorkspace();
  const pair = {
    workspace,
    env: (extra: Record<string, string> = {}) => ({
      PIXELWRIGHT_WORKSPACE: workspace,
      OPENAI_API_KEY: key,
      OPENAI_BASE_URL: pair.sim.baseURL,
      PIXELWRIGHT_REDIS_URL: pair.redis.url,
      PIXELWRIGHT_MAX_CONCURRENCY: "2",
      // A dead replica's job is declared lost after ~6-9 s instead of 30-45 s.
      PIXELWRIGHT_REDIS_LOCK_SECONDS: "6",
      ...extra,
    }),
  } as unknown as ReplicaPair;
  beforeAll(async () => {
    pair.redis = await startRedis();
    pair.sim = await startSimulator({ apiKey: key });
    [pair.a, pair.b] = await Promise.all([spawnHttp(pair.env()), spawnHttp(pair.env())]);
    [pair.clientA, pair.clientB] = await Promise.all([httpClient(pair.a.url), httpClient(pair.b.url)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.allSettled([pair.clientA.close(), pair.clientB.close()]);
    await Promise.allSettled([pair.a.stop(), pair.b.stop()]);
    await pair.sim.close();
    await pair.redis.close();
  }, 60_000);
  beforeEach(() => pair.sim.reset());
  return pair;
}

/**
 * One in-process server on the shared (Redis) job path, through the real MCP client, for a test file: a throwaway
 * Redis and the simulator started before all, the simulator reset before each, both stopped after all. The harness is
 * returned at once and forwards to the one started in beforeAll.
 */
export function useRedisHarness(): SimHarness {
  let redis: RedisServer | undefined;
  let harness: SimHarness | undefined;
  beforeAll(async () => {
    redis = await startRedis();
    harness = await connectWithSimulator({ redisUrl: redis.url, maxConcurrency: 2 }, {}, { role: "http" });
  }, 30_000);
  afterAll(async () => {
    await harness?.close();
    await redis?.close();
  });
  beforeEach(() => harness?.sim.reset());
  return new Proxy({} as SimHarness, {
    get: (_target, key) => {
      if (!harness) throw new Error("the Redis harness is used before its beforeAll ran");
      return Reflect.get(harness, key);
    },
  });
}
