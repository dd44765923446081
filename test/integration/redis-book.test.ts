import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { connectRedisBook } from "../../src/jobs/redis.js";
import { createLogger } from "../../src/log.js";
import { describeJobBook } from "../helpers/book-contract.js";
import { type RedisServer, startRedis } from "../helpers/redis.js";

let server: RedisServer | null = null;
const logger = createLogger("silent");

async function redis(): Promise<RedisServer> {
  server ??= await startRedis();
  return server;
}

afterAll(async () => {
  await server?.close();
});

describeJobBook("Redis, for replicas", {
  async open() {
    const { url } = await redis();
    const admin = new Redis(url);
    await admin.flushall();
    admin.disconnect();
    return connectRedisBook({ url, logger });
  },
  async another() {
    return connectRedisBook({ url: (await redis()).url, logger });
  },
  async cleanup() {},
});

describe("what a Redis outage says", () => {
  it("a ledger write it cannot take says the sent step's outcome is missing, never that nothing was sent", async () => {
    const own = await startRedis();
    const book = await connectRedisBook({ url: own.url, logger });
    try {
      const request = { jobId: "job_outage", step: "attempt 1", usd: 0.2, limitUsd: 5, windowMs: 86_400_000 };
      const reserved = await book.reserve(request);
      if (!reserved.ok) throw new Error("the reservation was refused");
      await own.stop();
      await expect(book.release(reserved.ids[0] as string)).rejects.toThrow(
        /cannot be reached from this server.*the step's outcome \(released\) is not in the spend ledger/,
      );
      await expect(book.reserve(request)).rejects.toThrow(/cannot be reached from this server.*nothing was sent/);
    } finally {
      await book.close().catch(() => {});
      await own.close();
    }
  });
});
