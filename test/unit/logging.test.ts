// The log exists to be read by machines after the fact: one `msg` per line, every error under its own class, and the
// reason a tool refused kept on the line.
import { afterEach, describe, expect, it } from "vitest";
import { InputError, toToolError, UpstreamError } from "../../src/errors.js";
import { clearSecrets, registerSecret } from "../../src/secrets.js";
import { memoryLog } from "../helpers/memory-log.js";

afterEach(() => clearSecrets());

describe("log lines", () => {
  it("carry one msg key each; a refused tool call keeps its reason beside it", () => {
    const log = memoryLog();
    toToolError(new InputError("size 999x999 is not a multiple of 16"), log.logger);
    const raw = log.text().trim();
    expect(raw.match(/"msg":/g)).toHaveLength(1);
    expect(log.lines()[0]).toMatchObject({
      msg: "tool refused or failed",
      kind: "input",
      type: "InputError",
      reason: "size 999x999 is not a multiple of 16",
    });
  });

  it("name a logged error by its class, its cause by its own, redacted", () => {
    const key = "sk-proj-L0gg3dErr0rK3yAbCdEfGhIjKlMn";
    registerSecret(key);
    const log = memoryLog();
    const cause = new TypeError(`fetch failed for ${key}`);
    log.logger.error({ err: new UpstreamError("the API failed", { retryable: true }, { cause }) }, "job failed");
    log.logger.warn(new RangeError("out of range"), "a bare error");
    const [first, second] = log.lines() as Array<{ err: { type: string; message: string; cause?: { type: string } } }>;
    expect(first?.err.type).toBe("UpstreamError");
    expect(first?.err.cause?.type).toBe("TypeError");
    expect(second?.err).toMatchObject({ type: "RangeError", message: "out of range" });
    expect(log.text()).not.toContain(key.slice(8, 16));
  });
});
