// A CLI's log lines on stderr read as sentences; the JSON pino writes (already redacted) is only their source.

import { describe, expect, it } from "vitest";
import { readableLine, readableLogStream } from "../../src/cli/log-lines.js";
import { createLogger } from "../../src/log.js";
import { registerSecret } from "../../src/secrets.js";

describe("readable log lines", () => {
  it("are the message, the level when it is not info, and the fields in brackets", () => {
    const json = JSON.stringify({ level: 40, time: 1, pid: 9, name: "pixelwright", workspace: "/w", msg: "offline" });
    expect(readableLine(json)).toBe("pixelwright: warning: offline (workspace: /w)");
    expect(readableLine(JSON.stringify({ level: 30, msg: "listening" }))).toBe("pixelwright: listening");
  });

  it("show an error by its message, not its stack", () => {
    const json = JSON.stringify({ level: 50, msg: "failed", err: { type: "Error", message: "boom", stack: "at x" } });
    expect(readableLine(json)).toBe("pixelwright: error: failed (err: boom)");
  });

  it("come from a real logger, one per line, with secrets still redacted", () => {
    const lines: string[] = [];
    registerSecret("sk-live-Zq8Wx3Vb7Nm2Lk5Jh9Gf");
    const logger = createLogger(
      "info",
      readableLogStream((line) => lines.push(line)),
    );
    logger.warn({ key: "sk-live-Zq8Wx3Vb7Nm2Lk5Jh9Gf" }, "a key was echoed");
    logger.debug("not at info");
    expect(lines).toEqual(["pixelwright: warning: a key was echoed (key: [redacted])"]);
  });
});
