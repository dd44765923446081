// `pixelwright doctor` with PIXELWRIGHT_REDIS_URL: does the Redis the replicas share answer?

import type { Config } from "../config.js";
import { ConfigError } from "../errors.js";
import { loadRedis, redisInstallCommand } from "../redis-load.js";
import type { Check } from "./doctor-checks.js";

const check = (status: Check["status"], detail: string, fix: string | null = null): Check => ({
  group: "replicas",
  name: "redis",
  status,
  detail,
  fix,
});

/** With PIXELWRIGHT_REDIS_URL: does Redis answer a PING? (The replicas share jobs and limits through it.) */
export async function replicaChecks(config: Config): Promise<Check[]> {
  if (!config.redisUrl) return [];
  let pingRedis: Awaited<ReturnType<typeof loadRedis>>["pingRedis"];
  try {
    ({ pingRedis } = await loadRedis());
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const fix = `install it: ${redisInstallCommand()}; or unset PIXELWRIGHT_REDIS_URL to run as a single server`;
    return [check("fail", "the optional Redis package (ioredis) is not installed", fix)];
  }
  try {
    await pingRedis(config.redisUrl);
    return [check("ok", "Redis answers PING (PIXELWRIGHT_REDIS_URL)")];
  } catch (err) {
    const message = (err as Error).message;
    const cut = message.indexOf(". Start Redis");
    return [
      check(
        "fail",
        cut > 0 ? message.slice(0, cut) : message,
        "start Redis or fix PIXELWRIGHT_REDIS_URL, or unset it to run as a single server",
      ),
    ];
  }
}
