// edit_of: "now make the sky orange" on the image just made, through the real MCP client and the real openai SDK
// against the simulator. On the Images route the source is the edit's first reference image; on the Responses route
// an image made there is continued as a follow-up turn (previous_response_id). The production record names the source
// and the chain of edits; an unknown, gone or changed source is refused before anything is sent.

import { createHash } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GenerationResult } from "../../src/contract/results.js";
import { connectWithSimulator, type SimHarness, textOf } from "../helpers/simulated.js";

const asResult = (r: unknown) => (r as { structuredContent: GenerationResult }).structuredContent;
const sidecarOf = (path: string) => JSON.parse(readFileSync(path.replace(/\.\w+$/, ".json"), "utf8"));
const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

let h: SimHarness;
beforeAll(async () => {
  h = await connectWithSimulator();
});
afterAll(async () => h.close());
beforeEach(() => h.sim.reset());

async function generate(args: Record<string, unknown>): Promise<GenerationResult> {
  const result = await h.call("generate_image", { quality: "low", return_image: "none", ...args });
  expect(result.isError, textOf(result)).toBeFalsy();
  return asResult(result);
}

describe("edit_of on the Images route", () => {
  it("edits a job's image by job_id: the source is sent as the first reference, and the record names it", async () => {
    const first = await generate({ prompt: "a meadow under a blue sky" });
    const source = first.images[0]?.path as string;
    h.sim.reset();
    const edited = await generate({ prompt: "now make the sky orange", edit_of: first.job_id });
    expect(edited.endpoint).toBe("/v1/images/edits");
    expect(h.sim.stats.requests[0]?.inputSha256).toEqual([sha256(source)]);
    const record = sidecarOf(edited.images[0]?.path as string);
    expect(record.edit_of).toMatchObject({
      path: source,
      sha256: sha256(source),
      job_id: first.job_id,
      route: "images",
      chain: [],
    });
  });

  it("edits a saved image by its path, keeping the chain of edits, and adds more references after it", async () => {
    const first = await generate({ prompt: "a lighthouse" });
    const second = await generate({ prompt: "add a storm", edit_of: first.images[0]?.path });
    writeFileSync(`${h.workspace}/gull.png`, readFileSync(first.images[0]?.path as string));
    h.sim.reset();
    const third = await generate({
      prompt: "add a gull",
      edit_of: second.images[0]?.path,
      reference_images: ["gull.png"],
    });
    expect(h.sim.stats.requests[0]?.inputSha256).toHaveLength(2);
    expect(h.sim.stats.requests[0]?.inputSha256?.[0]).toBe(sha256(second.images[0]?.path as string));
    const record = sidecarOf(third.images[0]?.path as string);
    expect(record.edit_of.path).toBe(second.images[0]?.path);
    expect(record.edit_of.chain).toEqual([
      { path: first.images[0]?.path, sha256: sha256(first.images[0]?.path as string), job_id: first.job_id },
    ]);
  });

  it("prices the source as an input image: the estimate includes it and the bill agrees", async () => {
    const first = await generate({ prompt: "a barn" });
    const plain = await generate({ prompt: "now paint the barn red", fresh: true });
    const edited = await generate({ prompt: "now paint the barn red", edit_of: first.job_id });
    expect(edited.cost_estimate_usd as number).toBeGreaterThan(plain.cost_estimate_usd as number);
    expect(edited.cost_usd).toBe(edited.cost_estimate_usd);
  });
});

describe("edit_of on the Responses route", () => {
  it("continues the answer that made the image as a follow-up turn (previous_response_id)", async () => {
    const first = await generate({ prompt: "a red kite", route: "responses" });
    const responseId = first.response_ids[0] as string;
    expect(responseId).toMatch(/^resp_/);
    expect(sidecarOf(first.images[0]?.path as string)).toMatchObject({
      response_id: responseId,
      image_call_id: first.image_call_ids[0],
    });
    const before = h.sim.stats.requests.length; // not reset: the simulator keeps its earlier answers
    const edited = await generate({ prompt: "now make the kite green", route: "responses", edit_of: first.job_id });
    expect(edited.status).toBe("completed");
    expect(h.sim.stats.requests.slice(before).map((r) => r.previousResponseId)).toEqual([responseId]);
    const record = sidecarOf(edited.images[0]?.path as string);
    expect(record.edit_of).toMatchObject({ route: "responses", response_id: responseId, job_id: first.job_id });
    // The earlier image is in the turn's context: billed as an input image, and estimated so.
    expect(edited.usage?.input_tokens as number).toBeGreaterThan(1000);
    expect(edited.cost_usd).toBeCloseTo(edited.cost_estimate_usd as number, 3);
  });

  it("sends an image made on the Images route as an input image of a fresh turn", async () => {
    const first = await generate({ prompt: "a blue kite" });
    h.sim.reset();
    const edited = await generate({ prompt: "now make it yellow", route: "responses", edit_of: first.job_id });
    expect(edited.status).toBe("completed");
    expect(h.sim.stats.requests[0]?.previousResponseId).toBeUndefined();
    expect(sidecarOf(edited.images[0]?.path as string).edit_of).toMatchObject({ route: "images", response_id: null });
  });

  it("an unknown previous response is the provider's 400, not a paid call", async () => {
    const first = await generate({ prompt: "a white kite", route: "responses" });
    h.sim.reset(); // the simulator forgets every earlier answer, as an expired one would be
    const result = await h.call("generate_image", {
      prompt: "now make it black",
      route: "responses",
      edit_of: first.job_id,
      return_image: "none",
    });
    const out = asResult(result);
    expect(out.status).toBe("failed");
    expect(out.message).toMatch(/Previous response with id 'resp_\w+' not found/);
    expect(out.failure?.may_have_been_billed).toBe(false);
  });
});

describe("edit_of with no size keeps the source's shape", () => {
  it.each([
    ["images", {}],
    ["responses", { route: "responses" }],
  ])(
    "on the %s route: the edit asks for the source's size, the saved file measures it, the result says so",
    async (_route, route) => {
      const first = await generate({ prompt: "a wide valley", size: "1536x1024", ...route });
      const before = h.sim.stats.requests.length;
      const edited = await generate({ prompt: "now add a river", edit_of: first.job_id, ...route });
      expect(h.sim.stats.requests.slice(before).map((r) => r.size)).toEqual(["1536x1024"]);
      expect(edited.requested.size).toBe("1536x1024");
      expect(edited.images[0]).toMatchObject({ width: 1536, height: 1024, verified: true });
      expect(edited.caveats).toContain(
        "No size given: the edit keeps the source image's size, 1536x1024 (pass size to make another size).",
      );
    },
  );

  it("a source size the model cannot make: the nearest valid size of the same shape, said in the result", async () => {
    // A gateway's downscale leaves a 1672x941 file: not a multiple of 16, so gpt-image-2 cannot make it.
    h.sim.setGateway({ downscaleAbove: 1672 });
    const first = await generate({ prompt: "a long pier", size: "3840x2160" });
    expect(first.images[0]).toMatchObject({ width: 1672, height: 941 });
    h.sim.reset();
    const edited = await generate({ prompt: "now add fog", edit_of: first.images[0]?.path });
    expect(h.sim.stats.requests[0]?.size).toBe("1680x944");
    expect(edited.images[0]).toMatchObject({ width: 1680, height: 944, verified: true });
    expect(edited.caveats.join(" ")).toMatch(
      /the source image is 1672x941, which gpt-image-2 cannot make \(multiple_of_16\), so the edit asks for 1680x944, the nearest valid size of the same shape/,
    );
  });

  it("a size given explicitly still wins", async () => {
    const first = await generate({ prompt: "a tall tower", size: "1024x1536" });
    h.sim.reset();
    const edited = await generate({ prompt: "now make it square", edit_of: first.job_id, size: "1024x1024" });
    expect(h.sim.stats.requests[0]?.size).toBe("1024x1024");
    expect(edited.images[0]).toMatchObject({ width: 1024, height: 1024, verified: true });
    expect(edited.caveats.join(" ")).not.toMatch(/No size given/);
  });
});

describe("edit_of refuses an unknown, gone or changed source before anything is sent", () => {
  it.each([
    ["an unknown job", () => "job_0123456789abcdef", /no finished job "job_0123456789abcdef" is known/],
    ["a file without a production record", () => "plain.png", /has no production record beside it/],
    ["a path outside the workspace", () => "/etc/passwd", /cannot be read .*outside the folders/],
  ])("%s", async (_name, target, pattern) => {
    writeFileSync(`${h.workspace}/plain.png`, readFileSync(new URL("../../package.json", import.meta.url)));
    const result = await h.call("generate_image", { prompt: "edit it", edit_of: target() });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(pattern);
    expect(textOf(result)).toMatch(/Nothing was sent/);
    expect(h.sim.stats.imageRequests).toBe(0);
  });

  it("a source that was deleted", async () => {
    const first = await generate({ prompt: "a temporary image" });
    rmSync(first.images[0]?.path as string);
    h.sim.reset();
    const result = await h.call("generate_image", { prompt: "edit it", edit_of: first.job_id });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/edit_of: the source image cannot be read .*it may be gone/);
    expect(h.sim.stats.imageRequests).toBe(0);
  });

  it("a source that changed since it was saved (its sha256 differs from the record)", async () => {
    const first = await generate({ prompt: "an image to tamper with" });
    const path = first.images[0]?.path as string;
    const other = await generate({ prompt: "another image" });
    writeFileSync(path, readFileSync(other.images[0]?.path as string));
    h.sim.reset();
    const result = await h.call("generate_image", { prompt: "edit it", edit_of: path });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/changed since it was saved \(its sha256 differs from the production record's/);
    expect(h.sim.stats.imageRequests).toBe(0);
  });

  it("a job that made several images: asks which one", async () => {
    const many = await generate({ prompt: "two options", n: 2 });
    h.sim.reset();
    const result = await h.call("generate_image", { prompt: "edit it", edit_of: many.job_id });
    expect(textOf(result)).toMatch(/made 2 images .*pass the path of the one to edit/);
    expect(h.sim.stats.imageRequests).toBe(0);
  });
});
