import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GenerationResult } from "../../src/contract/results.js";
import type { Fault } from "../../src/simulator/knobs.js";
import { connectWithSimulator, type SimHarness, textOf } from "../helpers/simulated.js";

let h: SimHarness;
beforeAll(async () => {
  h = await connectWithSimulator({ timeoutSeconds: 2 });
});
afterAll(async () => h.close());
let before = new Set<string>();
beforeEach(() => {
  h.sim.reset();
  before = new Set(h.files());
});
/** Files this test added to the shared workspace. */
const added = () => h.files().filter((f) => !before.has(f));

const request = { prompt: "fault drill", size: "1024x1024", return_image: "none" };

function noLeftovers() {
  const files = added();
  expect(files.filter((f) => f.startsWith(".tmp-"))).toEqual([]);
  expect(files.filter((f) => f.includes(".partial-"))).toEqual([]);
}

describe("transient upstream faults are retried and recorded", () => {
  it.each<[Fault, string, object]>([
    ["500", "500", {}],
    ["503", "503", {}],
    ["429", "429 rate_limit_exceeded", {}],
    ["reset", "connection error", {}],
    ["hang", "timeout", {}],
    // Headers and half the promised body, then a hang-up: on both routes, the body's reader says so.
    ["truncate", "truncated or malformed", {}],
    ["truncate", "truncated or malformed", { route: "responses" }],
    ["truncate", "truncated stream", { partial_images: 1 }],
  ])("%s then success: one retry with reason %j, verified image", async (fault, reason, extra) => {
    h.sim.enqueueFaults(fault);
    const result = await h.call("generate_image", { ...request, ...extra, prompt: `${fault} ${reason}`, fresh: true });
    expect(result.isError, textOf(result)).toBeFalsy();
    const out = result.structuredContent as unknown as GenerationResult;
    expect(out.status).toBe("completed");
    expect(out.retries).toHaveLength(1);
    expect(out.retries[0]?.reason).toContain(reason === "truncated stream" ? "truncated" : reason);
    expect(out.images[0]?.verified).toBe(true);
    expect(h.sim.stats.imageRequests).toBe(2);
    noLeftovers();
  });

  it("honours retry-after on 429", async () => {
    h.sim.enqueueFaults("429");
    const result = await h.call("generate_image", { ...request, prompt: "retry-after", fresh: true });
    const out = result.structuredContent as unknown as GenerationResult;
    expect(out.retries[0]?.delay_ms).toBeGreaterThanOrEqual(1000);
  });

  it("gives up after PIXELWRIGHT_MAX_RETRIES and names the request id", async () => {
    h.sim.enqueueFaults("500", "500", "500");
    const result = await h.call("generate_image", { ...request, prompt: "always 500", fresh: true });
    expect(result.isError).toBeFalsy();
    const out = result.structuredContent as unknown as GenerationResult;
    expect(out.status).toBe("failed");
    expect(h.sim.stats.imageRequests).toBe(3);
    const rid = h.sim.stats.requests.at(-1)?.id as string;
    expect(out.message).toContain(rid);
    expect(textOf(result)).toMatch(/^Generation failed: 500/);
    expect(added()).toEqual([]);
  });
});

describe("faults that must not be retried fail clearly and save nothing", () => {
  it.each<[Fault, RegExp]>([
    ["moderation", /moderation_blocked/],
    ["bad_base64", /not valid base64/],
    ["not_image", /not an image/],
  ])("%s: failed, request id named, no retry, no file", async (fault, pattern) => {
    h.sim.enqueueFaults(fault);
    const result = await h.call("generate_image", { ...request, prompt: `no retry ${fault}`, fresh: true });
    const out = result.structuredContent as unknown as GenerationResult;
    expect(out.status).toBe("failed");
    expect(out.message).toMatch(pattern);
    expect(out.message).toContain(h.sim.stats.requests[0]?.id as string);
    expect(h.sim.stats.imageRequests).toBe(1);
    expect(added()).toEqual([]);
  });
});

describe("an image of the wrong size", () => {
  it("is saved but reported not verified, loudly, in the first sentence", async () => {
    h.sim.enqueueFaults("wrong_size");
    const result = await h.call("generate_image", { ...request, size: "3840x2160", prompt: "too small" });
    const out = result.structuredContent as unknown as GenerationResult;
    expect(out.status).toBe("completed");
    expect(out.images[0]).toMatchObject({ width: 1672, height: 941, verified: false });
    expect(out.images[0]?.mismatch).toBe("Requested 3840x2160 but the saved file is 1672x941.");
    expect(textOf(result)).toMatch(/^Requested 3840x2160 but the saved file is 1672x941/);
    expect(added().filter((f) => f.endsWith(".png"))).toHaveLength(1);
  });
});
