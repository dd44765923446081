// Connecting to the Redis the replicas share, or saying at start why that is impossible — with the server's own
// reason (a wrong password, a database index out of range), never a bare "Connection is closed".

import type { Redis as RedisClient } from "ioredis";
import { ConfigError } from "../errors.js";
import { redactText } from "../secrets.js";

/** What a connection attempt says when it fails: the server's own reason (a wrong password, a bad database index). */
export async function connectOrExplain(Redis: typeof RedisClient, url: string): Promise<RedisClient> {
  let reason = "";
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on("error", (err: Error) => {
    reason ||= err.message;
  });
  try {
    await client.connect();
    await client.ping();
    // ioredis reports a failed SELECT only as an event and goes on in database 0: select it here, so a database index
    // Redis does not have refuses the start instead of sharing another deployment's keys.
    await client.select(client.options.db ?? 0);
    return client;
  } catch (err) {
    client.disconnect();
    const why = reason && !/Connection is closed/.test(reason) ? reason : (err as Error).message;
    // Unreachable, or reached and refused (a wrong password, a database index out of range): say which.
    const unreachable = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|connect/i.test(why);
    const head = unreachable
      ? `cannot reach Redis at ${redactText(url)} (PIXELWRIGHT_REDIS_URL)`
      : `Redis at ${redactText(url)} (PIXELWRIGHT_REDIS_URL) refused this server`;
    throw new ConfigError(
      `${head}: ${redactText(why)}. Start Redis or fix the URL (host, port, password, database), or unset PIXELWRIGHT_REDIS_URL to run as a single server.`,
      { cause: err },
    );
  }
}

/** Connects and PINGs once (`pixelwright doctor`); throws the same ConfigError the server would give at start. */
export async function pingRedis(url: string): Promise<void> {
  const { Redis } = await import("ioredis");
  (await connectOrExplain(Redis, url)).disconnect();
}
