import { describe, expect, it } from "vitest";
import {
  AbortedError,
  asPixelwrightError,
  BusyError,
  ConfigError,
  DownloadError,
  InputError,
  InternalError,
  NotAnImageError,
  toToolError,
  UpstreamError,
} from "../../src/errors.js";
import { memoryLog } from "../helpers/memory-log.js";

const textOf = (result: ReturnType<typeof toToolError>) =>
  result.content.map((c) => (c.type === "text" ? c.text : "")).join("");

describe("the closed error set", () => {
  it.each([
    [new InputError("size 1920x1080 is not valid"), /^Invalid request: size 1920x1080/],
    [new NotAnImageError("the file is text, not an image"), /^Invalid request: the file is text/],
    [new DownloadError("the image URL answered HTTP 404"), /^Invalid request: the image URL answered HTTP 404/],
    [
      new UpstreamError("429 rate limit", { retryable: true, requestId: "req_1", provider: "openai" }),
      /openai image API failed \(request id req_1\)/,
    ],
    [new ConfigError("PIXELWRIGHT_MODEL is empty"), /^Server configuration error/],
    [new BusyError("36 generations are running.", 30), /Retry after 30 s/],
    [new AbortedError("the server is shutting down"), /^Cancelled: the server is shutting down/],
  ])("turns %s into one sentence that says what happened", (err, sentence) => {
    const result = toToolError(err);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(sentence);
  });

  it("keeps the cause of a typed error", () => {
    const cause = new TypeError("socket hang up");
    expect(new UpstreamError("cut off", { retryable: true }, { cause }).cause).toBe(cause);
  });

  it("reports an unexpected error by incident id only, and logs it in full under that id", () => {
    const log = memoryLog("info");
    const result = toToolError(new TypeError("Cannot read properties of undefined (reading 'x')"), log.logger);
    const text = textOf(result);
    const id = /incident (inc_[0-9a-f]{12})/.exec(text)?.[1];
    expect(id).toBeDefined();
    expect(text).not.toMatch(/Cannot read properties/);
    expect(log.text()).toContain(id as string);
    expect(log.text()).toContain("Cannot read properties");
  });

  it("wraps anything that is not a PixelwrightError as an InternalError with the original as its cause", () => {
    const original = new RangeError("boom");
    const wrapped = asPixelwrightError(original);
    expect(wrapped).toBeInstanceOf(InternalError);
    expect(wrapped.cause).toBe(original);
    expect(asPixelwrightError(new InputError("x"))).toBeInstanceOf(InputError);
  });
});
