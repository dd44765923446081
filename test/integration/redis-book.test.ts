import { Redis } from "ioredis";
import { afterAll } from "vitest";
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
