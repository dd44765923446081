// The Redis packages are optional: a replica asked to use Redis without them says which npm command installs them
// where this copy of pixelwright finds them, instead of a module-not-found stack trace.

import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { loadRedis, redisInstallCommand } from "../../src/redis-load.js";

const SPECS = "ioredis@^6.0.0";

describe("the command that installs the Redis package", () => {
  it.each([
    ["a global install", "/usr/local/lib/node_modules/pixelwright/", `npm install -g ${SPECS}`],
    ["a dependency of a project", "/srv/app/node_modules/pixelwright/", `npm install --prefix /srv/app ${SPECS}`],
    ["a clone", "/home/me/src/pixelwright/", `npm install --prefix /home/me/src/pixelwright --no-save ${SPECS}`],
    [
      "a path with spaces",
      "/home/me/My Tools/pixelwright/",
      `npm install --prefix "/home/me/My Tools/pixelwright" --no-save ${SPECS}`,
    ],
  ])("for %s", (_where, root, command) => {
    expect(redisInstallCommand(root, "/usr/local/bin/node")).toBe(command);
  });
});

describe("loading the Redis module", () => {
  it("names the install command when the Redis package is missing", async () => {
    const missing = () => import(/* @vite-ignore */ ["ioredis", "not-installed"].join("-")) as never;
    const failure = await loadRedis(missing).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toMatch(
      /^PIXELWRIGHT_REDIS_URL needs the optional Redis package \(ioredis\), which is not installed: run npm install .*ioredis@\^6\.0\.0 \(or unset PIXELWRIGHT_REDIS_URL/,
    );
  });

  it("passes any other failure through unchanged", async () => {
    const broken = new Error("a syntax error in the module");
    await expect(loadRedis(() => Promise.reject(broken))).rejects.toBe(broken);
  });

  it("loads the module when the package is installed (the dev install has it)", async () => {
    const redis = await loadRedis();
    expect(typeof redis.pingRedis).toBe("function");
  });
});
