import OpenAI, { toFile } from "openai";
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { outputTokens } from "../../src/contract/cost.js";
import { Limiter } from "../../src/jobs/limiter.js";
import { createLogger } from "../../src/log.js";
import { type Simulator, startSimulator } from "../../src/simulator/server.js";
import { createUpstream } from "../../src/upstream/index.js";

// The simulator is tested through the real openai SDK, exactly as the server talks to it.
let sim: Simulator;
let client: OpenAI;
beforeAll(async () => {
  sim = await startSimulator({ apiKey: "sim-key" });
  client = new OpenAI({ apiKey: "sim-key", baseURL: sim.baseURL, maxRetries: 0 });
});
afterAll(async () => sim.close());
beforeEach(() => sim.reset());

const GIF = { model: "gpt-image-2.6-flare", output_format: "gif" } as const;

async function apiError(
  promise: Promise<unknown>,
): Promise<{ status: number; message: string; code: unknown; param: unknown; requestID: unknown }> {
  try {
    await promise;
  } catch (err) {
    const e = err as { status: number; error: { message: string }; code: unknown; param: unknown; requestID: unknown };
    return { status: e.status, message: e.error?.message, code: e.code, param: e.param, requestID: e.requestID };
  }
  throw new Error("expected an API error");
}

describe("the simulator speaks the Images API wire contract", () => {
  it.each([
    ["png", "png"],
    ["jpeg", "jpeg"],
    ["webp", "webp"],
  ] as const)(
    "renders exactly the requested size as %s, with usage from the SPEC formula",
    async (format, expected) => {
      const { data: response, request_id } = await client.images
        .generate({ model: "gpt-image-2", prompt: "wire", size: "2048x1152", quality: "high", output_format: format })
        .withResponse();
      expect(request_id).toMatch(/^req_/);
      const bytes = Buffer.from(response.data?.[0]?.b64_json ?? "", "base64");
      const meta = await sharp(bytes).metadata();
      expect([meta.width, meta.height, meta.format]).toEqual([2048, 1152, expected]);
      expect(response.usage?.output_tokens).toBe(outputTokens(2048, 1152, "high"));
      expect(response).toMatchObject({ size: "2048x1152", quality: "high", output_format: format });
    },
  );

  it("makes a GIF an animation of frame_count frames shown frame_duration_ms each (9 of 200 ms by default)", async () => {
    const framesOf = async (extra: Record<string, unknown>) => {
      const { data } = await client.images.generate({ prompt: "a top", size: "1024x1024", ...GIF, ...extra } as never);
      const meta = await sharp(Buffer.from(data?.[0]?.b64_json ?? "", "base64")).metadata();
      return { pages: meta.pages, delay: meta.delay?.[0] };
    };
    expect(await framesOf({})).toEqual({ pages: 9, delay: 200 });
    expect(await framesOf({ frame_count: 3, frame_duration_ms: 84 })).toEqual({ pages: 3, delay: 80 });
  });

  it("is deterministic: the same request gives the same bytes", async () => {
    const one = await client.images.generate({ model: "gpt-image-2", prompt: "same", size: "1024x1024" });
    const two = await client.images.generate({ model: "gpt-image-2", prompt: "same", size: "1024x1024" });
    expect(one.data?.[0]?.b64_json).toBe(two.data?.[0]?.b64_json);
  });

  it.each([
    [{ size: "1792x936" }, 400, "Invalid size '1792x936'. Width and height must both be divisible by 16.", "size"],
    [{ size: "4096x2160" }, 400, /^Invalid size '4096x2160'\./, "size"],
    [
      { model: "gpt-image-2.5-flare", background: "transparent", output_format: "jpeg" },
      400,
      /requires output_format png or webp/,
      "background",
    ],
    [{ background: "transparent" }, 400, "Transparent background is not supported for this model.", "background"],
    [{ complexity: "low" }, 400, "Unknown parameter: 'complexity'.", "complexity"],
    [{ response_format: "b64_json" }, 400, "Unknown parameter: 'response_format'.", "response_format"],
    [{ quality: "xhigh" }, 400, /Invalid value: 'xhigh'/, "quality"],
    [{ model: "dall-e-3" }, 404, /does not exist/, null],
    [{ frame_count: 4 }, 400, "frame_count is only supported with output_format gif.", "frame_count"],
    [{ ...GIF, frame_count: 17 }, 400, "frame_count must be an integer between 2 and 16.", "frame_count"],
    [{ ...GIF, stream: true, partial_images: 1 }, 400, /GIF output does not support streaming/, "output_format"],
  ])("refuses %j like the real API", async (extra, status, message, param) => {
    const err = await apiError(client.images.generate({ model: "gpt-image-2", prompt: "bad", ...extra } as never));
    expect(err.status).toBe(status);
    if (typeof message === "string") expect(err.message).toBe(message);
    else expect(err.message).toMatch(message);
    expect(err.param ?? null).toBe(param);
    expect(err.requestID).toMatch(/^req_/);
  });

  it("rejects input_fidelity on gpt-image-2 edits", async () => {
    const image = await toFile(
      await sharp({ create: { width: 64, height: 64, channels: 3, background: "red" } })
        .png()
        .toBuffer(),
      "a.png",
      { type: "image/png" },
    );
    const err = await apiError(
      client.images.edit({ model: "gpt-image-2", prompt: "x", image, input_fidelity: "high" }),
    );
    expect(err).toMatchObject({ status: 400, message: "input_fidelity is not supported for this model." });
  });

  it("requires a bearer key, and the right one when configured", async () => {
    const wrong = new OpenAI({ apiKey: "nope", baseURL: sim.baseURL, maxRetries: 0 });
    expect(await apiError(wrong.images.generate({ prompt: "x" }))).toMatchObject({
      status: 401,
      code: "invalid_api_key",
    });
    const res = await fetch(`${sim.baseURL}/images/generations`, { method: "POST", body: "{}" });
    expect(res.status).toBe(401);
  });

  it("edits take multipart image[] and a mask", async () => {
    const png = await sharp({
      create: { width: 256, height: 256, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    const files = await Promise.all([
      toFile(png, "a.png", { type: "image/png" }),
      toFile(png, "b.png", { type: "image/png" }),
    ]);
    const mask = await toFile(png, "mask.png", { type: "image/png" });
    const result = await client.images.edit({
      model: "gpt-image-2",
      prompt: "edit",
      image: files,
      mask,
      size: "1024x1536",
    });
    const meta = await sharp(Buffer.from(result.data?.[0]?.b64_json ?? "", "base64")).metadata();
    expect([meta.width, meta.height]).toEqual([1024, 1536]);
    expect(result.usage?.input_tokens_details?.image_tokens).toBeGreaterThan(0);
    expect(sim.stats.requests[0]?.path).toBe("/v1/images/edits");
  });

  it("streams partial images then a completed event over SSE", async () => {
    const stream = await client.images.generate({
      model: "gpt-image-2",
      prompt: "stream",
      size: "1024x1024",
      stream: true,
      partial_images: 2,
    });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types).toEqual([
      "image_generation.partial_image",
      "image_generation.partial_image",
      "image_generation.completed",
    ]);
  });
});

describe("fan-out for upstreams that give one image per call", () => {
  it("sends n single-image requests in parallel within the concurrency limit", async () => {
    // Long enough that the second request starts while the first is still at the provider, on a busy machine too.
    sim.setLatency(1500);
    const upstream = createUpstream({
      endpoint: { provider: "test", baseURL: sim.baseURL, apiKey: "sim-key", timeoutMs: 10_000 },
      logger: createLogger("silent"),
      slots: new Limiter(2),
      fanOut: true,
    });
    const outcome = await upstream.generate(
      { body: { model: "gpt-image-2", prompt: "fan", size: "1024x1024" }, partialImages: 0 },
      3,
      {},
    );
    expect(outcome.images).toHaveLength(3);
    expect(outcome.calls).toBe(3);
    expect(outcome.requestIds).toHaveLength(3);
    expect(sim.stats.requests.map((r) => r.n)).toEqual([1, 1, 1]);
    expect(sim.stats.maxInFlight).toBe(2);
  });
});
