import { describe, expect, it } from "vitest";
import { defaultWorkspace, loadConfig } from "../../src/config.js";
import { ConfigError } from "../../src/errors.js";

describe("configuration", () => {
  it("has the documented defaults and runs offline without a key", () => {
    const config = loadConfig({ env: {}, home: "/home/someone" });
    expect(config).toMatchObject({
      model: "gpt-image-2",
      waitSeconds: 50,
      timeoutSeconds: 360,
      maxRetries: 2,
      maxConcurrency: 4,
      offline: true,
    });
  });

  it("lets the environment override defaults and flags override the environment", () => {
    const env = { PIXELWRIGHT_MODEL: "gpt-image-2.5-flare", PIXELWRIGHT_WAIT_SECONDS: "20", OPENAI_API_KEY: "k-123" };
    expect(loadConfig({ env }).model).toBe("gpt-image-2.5-flare");
    expect(loadConfig({ env, flags: { model: "gpt-image-1.5" } }).model).toBe("gpt-image-1.5");
    expect(loadConfig({ env, flags: { "wait-seconds": "5" } }).waitSeconds).toBe(5);
    expect(loadConfig({ env }).offline).toBe(false);
    expect(loadConfig({ env: { ...env, PIXELWRIGHT_OFFLINE: "1" } }).offline).toBe(true);
  });

  it("names the variable and the flag when a value is bad", () => {
    expect(() => loadConfig({ env: { PIXELWRIGHT_MAX_CONCURRENCY: "0" } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { PIXELWRIGHT_WAIT_SECONDS: "soon" } })).toThrow(/PIXELWRIGHT_WAIT_SECONDS/);
    expect(() => loadConfig({ env: { OPENAI_BASE_URL: "not a url" } })).toThrow(/OPENAI_BASE_URL/);
  });

  it("takes a redis:// or rediss:// URL for replicas and refuses anything else", () => {
    expect(loadConfig({ env: {} }).redisUrl).toBeUndefined();
    expect(loadConfig({ env: {} }).redisLockSeconds).toBe(30);
    const env = { PIXELWRIGHT_REDIS_URL: "rediss://:pw@redis.internal:6380/2", PIXELWRIGHT_REDIS_LOCK_SECONDS: "5" };
    expect(loadConfig({ env })).toMatchObject({ redisUrl: env.PIXELWRIGHT_REDIS_URL, redisLockSeconds: 5 });
    expect(() => loadConfig({ env: { PIXELWRIGHT_REDIS_URL: "http://redis:6379" } })).toThrow(/PIXELWRIGHT_REDIS_URL/);
  });

  it("refuses an unknown profile and a generic gateway profile without a base URL", () => {
    expect(() => loadConfig({ env: { PIXELWRIGHT_PROFILE: "acme" } })).toThrow(/unknown profile 'acme'.*apiyi/);
    expect(() => loadConfig({ env: { PIXELWRIGHT_PROFILE: "openai-compatible", OPENAI_API_KEY: "k" } })).toThrow(
      /needs OPENAI_BASE_URL/,
    );
  });

  it("keeps the workspace out of the working directory", () => {
    expect(defaultWorkspace("/h", (p) => p === "/h/Pictures")).toBe("/h/Pictures/pixelwright");
    expect(defaultWorkspace("/h", () => false)).toBe("/h/pixelwright");
  });
});
