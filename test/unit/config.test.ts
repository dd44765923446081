// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the placeholders MCP clients leave unfilled are the subject
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultWorkspace, loadConfig, readConfig, settingSources, settingTakes } from "../../src/config.js";
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

  it("says which setting could not be read, the value given and what it takes, in words", () => {
    expect(() => loadConfig({ env: { PIXELWRIGHT_WAIT_SECONDS: "soon" } })).toThrow(
      "PIXELWRIGHT_WAIT_SECONDS / --wait-seconds: could not read 'soon': it takes a whole number from 0 to 600.",
    );
    expect(() => loadConfig({ env: { PIXELWRIGHT_WAIT_SECONDS: "soon" } })).not.toThrow(/NaN|expected number/);
    expect(() => loadConfig({ env: { PIXELWRIGHT_LOG_LEVEL: "inof" } })).toThrow(
      /could not read 'inof'.*Did you mean 'info'\?/,
    );
    expect(() => loadConfig({ env: { PIXELWRIGHT_PROFILE: "laozang" } })).toThrow(/Did you mean 'laozhang'\?/);
  });

  it("never shows the value of a secret setting it could not read", () => {
    expect(() => loadConfig({ env: { PIXELWRIGHT_REDIS_URL: "http://user:hunter2-secret@redis:6379" } })).toThrow(
      /PIXELWRIGHT_REDIS_URL: could not read '\(hidden\)': it takes a redis:\/\/ or rediss:\/\/ URL/,
    );
  });

  it("reads every other setting when one cannot be read, keeping that one's default", () => {
    const { config, problems } = readConfig({
      env: { PIXELWRIGHT_WAIT_SECONDS: "soon", PIXELWRIGHT_MAX_RETRIES: "eleven", PIXELWRIGHT_MODEL: "gpt-image-1.5" },
    });
    expect(problems.map((p) => [p.key, p.value])).toEqual([
      ["waitSeconds", "soon"],
      ["maxRetries", "eleven"],
    ]);
    expect(config).toMatchObject({ waitSeconds: 50, maxRetries: 2, model: "gpt-image-1.5" });
  });

  it("refuses a variable that is a misspelt setting, naming the setting meant", () => {
    expect(() => loadConfig({ env: { PIXELWRIGHT_WORKSPAC: "/tmp/x" } })).toThrow(
      "PIXELWRIGHT_WORKSPAC: not a setting. Did you mean PIXELWRIGHT_WORKSPACE?",
    );
    // The simulator's knobs and names far from any setting are someone else's.
    expect(() => loadConfig({ env: { PIXELWRIGHT_SIM_LATENCY_MS: "5", PIXELWRIGHT_CHROMIUM: "/x" } })).not.toThrow();
  });

  it("describes what every setting takes", () => {
    for (const { key } of settingSources()) expect(settingTakes(key)).toMatch(/^(a|an|one of|1 or 0) /);
    expect(settingTakes("maxSpendUsd")).toBe("a number above 0");
    expect(settingTakes("confirmAboveUsd")).toBe("a number, 0 or more");
    expect(settingTakes("baseURL")).toBe("an http:// or https:// URL ending in /v1");
  });

  it.each([
    ["OPENAI_BASE_URL", "${user_config.base_url}"],
    ["PIXELWRIGHT_WORKSPACE", "${HOME}/Pictures/pixelwright"],
    ["PIXELWRIGHT_PROFILE", "${user_config.profile}"],
    ["OPENAI_API_KEY", "${user_config.openai_api_key}"],
  ])("refuses %s while it still holds an unfilled ${...} placeholder, naming the setting", (name, value) => {
    expect(() => loadConfig({ env: { [name]: value } })).toThrow(
      new RegExp(
        `^${name}( / --[a-z-]+)?: still holds a \\$\\{\\.\\.\\.\\} placeholder the MCP client did not fill in`,
      ),
    );
  });

  it("treats an empty setting as unset (an MCP Bundle's optional field left empty)", () => {
    const env = { OPENAI_BASE_URL: "", PIXELWRIGHT_WORKSPACE: "", PIXELWRIGHT_PROFILE: "", OPENAI_API_KEY: "" };
    const config = loadConfig({ env, home: "/h" });
    expect(config.baseURL).toBeUndefined();
    expect(config.profile).toBeUndefined();
    expect(config.offline).toBe(true);
    expect(config.workspace).toBe(defaultWorkspace("/h"));
  });

  it("refuses a relative PIXELWRIGHT_WORKSPACE, saying why; a relative --workspace typed in a terminal is resolved", () => {
    expect(() => loadConfig({ env: { PIXELWRIGHT_WORKSPACE: "images" } })).toThrow(
      /^PIXELWRIGHT_WORKSPACE \/ --workspace: is a relative path: .*give an absolute folder/,
    );
    expect(loadConfig({ env: {}, flags: { workspace: "images" } }).workspace).toBe(resolve("images"));
  });

  it("keeps the workspace out of the working directory", () => {
    expect(defaultWorkspace("/h", (p) => p === "/h/Pictures")).toBe("/h/Pictures/pixelwright");
    expect(defaultWorkspace("/h", () => false)).toBe("/h/pixelwright");
  });
});
