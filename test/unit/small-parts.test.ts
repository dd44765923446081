import { describe, expect, it } from "vitest";
import { decodeBase64Strict, sniffImage } from "../../src/contract/formats.js";
import { judge } from "../../src/contract/verdict.js";
import { Limiter } from "../../src/jobs/limiter.js";
import { redactText, registerSecret, registerUrlSecret } from "../../src/secrets.js";
import { memoryLog } from "../helpers/memory-log.js";

describe("verdict", () => {
  it.each([
    [{ width: 3840, height: 2160, format: "png" }, { width: 3840, height: 2160, format: "png" }, true, null],
    [
      { width: 1672, height: 941, format: "png" },
      { width: 3840, height: 2160, format: "png" },
      false,
      "Requested 3840x2160 but the saved file is 1672x941.",
    ],
    [
      { width: 1024, height: 1024, format: "webp" },
      { width: 1024, height: 1024, format: "png" },
      false,
      "Requested PNG but the file is WEBP.",
    ],
    [{ width: 1024, height: 1024, format: "jpeg" }, { width: 1024, height: 1024, format: "jpg" }, true, null],
  ])("%j against %j: verified %s", (measured, expected, verified, mismatch) => {
    expect(judge(measured, expected)).toEqual({ verified, mismatch });
  });

  it("never verifies size auto", () => {
    expect(
      judge({ width: 1254, height: 836, format: "png" }, { width: null, height: null, format: "png" }).verified,
    ).toBe(false);
  });
});

describe("image bytes", () => {
  it("recognises formats by magic bytes only", () => {
    expect(sniffImage(Buffer.from("89504e470d0a1a0a0000", "hex"))).toBe("png");
    expect(sniffImage(Buffer.from("ffd8ffe000", "hex"))).toBe("jpeg");
    expect(sniffImage(Buffer.from("52494646000000005745425056503820", "hex"))).toBe("webp");
    expect(sniffImage(Buffer.from("<html>"))).toBeNull();
  });

  it("decodes base64 strictly", () => {
    expect(decodeBase64Strict("aGVsbG8=")?.toString()).toBe("hello");
    expect(decodeBase64Strict("aGVs%%bG8=")).toBeNull();
    expect(decodeBase64Strict("")).toBeNull();
    expect(decodeBase64Strict("abcde")).toBeNull();
  });
});

describe("the limiter", () => {
  it("never runs more than its limit and keeps order", async () => {
    const limiter = new Limiter(2);
    let active = 0;
    let peak = 0;
    const started: number[] = [];
    // Each task holds its slot until the test lets it go: the work ends on the test's signal, not after a delay.
    const release: Array<() => void> = [];
    const gates = [0, 1, 2, 3, 4].map((i) => new Promise<void>((r) => (release[i] = r)));
    const all = Promise.all(
      gates.map((gate, i) =>
        limiter.run(async () => {
          active++;
          peak = Math.max(peak, active);
          started.push(i);
          await gate;
          active--;
        }),
      ),
    );
    for (let i = 0; i < 5; i++) {
      await expect.poll(() => started.includes(i)).toBe(true);
      expect(active).toBeLessThanOrEqual(2);
      release[i]?.();
    }
    await all;
    expect(peak).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4]);
  });

  it("drops a waiter whose signal aborts", async () => {
    const limiter = new Limiter(1);
    const release = await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    controller.abort();
    await expect(waiting).rejects.toThrow(/cancelled/);
    expect(limiter.queued).toBe(0);
    release();
  });
});

describe("secrets never reach logs", () => {
  it("redacts registered secrets, key-shaped strings and bearer tokens", () => {
    registerSecret("my-http-token-123");
    expect(redactText("token my-http-token-123 and sk-proj-abcdefgh12345 and Bearer abc.def.ghi")).toBe(
      "token [redacted] and sk-[redacted] and Bearer [redacted]",
    );
  });

  it("redacts the password of a Redis URL, registered or not", () => {
    registerUrlSecret("redis://:short@redis.internal:6379/0");
    expect(redactText("connecting to rediss://app:s3cret-Pass@redis.internal:6380")).toBe(
      "connecting to rediss://app:[redacted]@redis.internal:6380",
    );
    expect(redactText("AUTH failed for short")).toBe("AUTH failed for [redacted]");
  });

  it("scrubs them from pino output, in messages and fields", () => {
    const log = memoryLog("info");
    log.logger.info(
      { apiKey: "sk-live-secret-value", detail: "echo sk-live-secret-value" },
      "using sk-live-secret-value",
    );
    expect(log.text()).not.toContain("secret-value");
    expect(log.text()).toContain("[redacted]");
  });
});
