// Next steps that fit each outcome, through the real MCP client against the simulator: a short delivery names the
// upscale that makes the requested size (or strategy auto); moderation, quota, timeout and rate limits each get
// their own advice; a strategy master's master is never called upscaled (verify_image, the gallery's facts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GenerationResult } from "../../src/contract/results.js";
import type { VerifyResult } from "../../src/contract/schemas.js";
import type { Fault } from "../../src/simulator/knobs.js";
import { type Entry, imageFacts, matches, NO_FILTER } from "../../src/ui/web/gallery/filters.js";
import { truthOf } from "../../src/ui/web/shared/truth.js";
import { connectWithSimulator, type SimHarness } from "../helpers/simulated.js";

const asResult = (r: unknown) => (r as { structuredContent: GenerationResult }).structuredContent;

let h: SimHarness;
beforeAll(async () => {
  h = await connectWithSimulator({ timeoutSeconds: 1 });
});
afterAll(async () => h.close());
beforeEach(() => h.sim.reset());

const request = { size: "1024x1024", quality: "low", return_image: "none", fresh: true };

describe("a delivery smaller than asked", () => {
  it("has a next step naming upscale_image to the requested size, or strategy auto", async () => {
    h.sim.enqueueFaults("wrong_size");
    const out = asResult(await h.call("generate_image", { ...request, prompt: "a short delivery", size: "3840x2160" }));
    expect(out.status).toBe("completed");
    const image = out.images[0];
    expect(image).toMatchObject({ width: 1672, height: 941, verified: false });
    expect(out.next).toContain(`upscale_image with path "${image?.path}" and size "3840x2160"`);
    expect(out.next).toContain('strategy: "auto"');
  });

  it("a verified delivery needs no next step", async () => {
    const out = asResult(await h.call("generate_image", { ...request, prompt: "a full delivery" }));
    expect(out.images[0]?.verified).toBe(true);
    expect(out.next ?? null).toBeNull();
  });
});

describe("each kind of failure gets its own advice", () => {
  it.each<[string, Fault[], RegExp, number]>([
    ["moderation", ["moderation"], /safety system refused this request \(not billed\): rephrase the prompt/, 1],
    ["an exhausted quota (429)", ["quota"], /quota or billing limit is reached \(not billed\): add credit/, 1],
    ["an exhausted quota inside a 200", ["error_in_200"], /quota or billing limit is reached/, 1],
    [
      "a timeout",
      ["hang", "hang", "hang"],
      /timed out after it was sent, so it may have been billed.*strategy "master"/,
      3,
    ],
    ["a rate limit", ["429", "429", "429"], /rate limit was hit \(not billed\): wait a minute/, 3],
  ])("%s", async (name, faults, advice, calls) => {
    h.sim.enqueueFaults(...faults);
    const out = asResult(await h.call("generate_image", { ...request, prompt: `failure: ${name}` }));
    expect(out.status).toBe("failed");
    expect(out.next).toMatch(advice);
    expect(h.sim.stats.imageRequests).toBe(calls);
  });
});

describe("a strategy master's master is native, never called upscaled", () => {
  it("verify_image, the gallery badge and the upscaled filter say so of the master, and the upscale is upscaled", async () => {
    const out = asResult(
      await h.call("generate_image", { ...request, prompt: "master run", size: "3840x2160", strategy: "master" }),
    );
    const final = out.images[0];
    expect(final).toMatchObject({ upscaled: true, width: 3840, height: 2160 });
    const masterPath = final?.master?.path as string;

    const verified = (await h.call("verify_image", { path: masterPath })).structuredContent as unknown as VerifyResult;
    expect(verified.images[0]).toMatchObject({ upscaled: false, width: 2560, height: 1440 });

    const lines = readFileSync(join(h.workspace, "manifest.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Entry);
    const masterLine = lines.find((l) => masterPath.endsWith(l.file)) as Entry;
    const finalLine = lines.find((l) => final?.path.endsWith(l.file)) as Entry;
    expect(masterLine.decision).toBe("master+upscale");
    expect(imageFacts(masterLine).upscaled).toBe(false);
    expect(truthOf(imageFacts(masterLine)).badges.map((b) => b.key)).not.toContain("upscaled");
    expect(matches(masterLine, { ...NO_FILTER, upscaled: true })).toBe(false);
    expect(imageFacts(finalLine).upscaled).toBe(true);
    expect(matches(finalLine, { ...NO_FILTER, upscaled: true })).toBe(true);
  });
});
