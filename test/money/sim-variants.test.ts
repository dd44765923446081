// The simulator's provider variants, through the whole path a real call takes: the MCP client, the server, the
// official openai SDK and our readers. Each counts the upstream calls: a variant the formats allow costs one call.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GenerationResult } from "../../src/contract/schemas.js";
import type { Fault } from "../../src/simulator/knobs.js";
import { connectWithSimulator, type SimHarness, textOf } from "../helpers/simulated.js";

let h: SimHarness;
/**
 * One harness per describe: the stall tests end an answer after `streamIdleSeconds` of silence; every other test
 * keeps the default idle deadline, so a healthy answer that pauses on a busy machine is never cut and retried.
 */
function harness(config: Partial<Parameters<typeof connectWithSimulator>[0]> = {}) {
  beforeAll(async () => {
    h = await connectWithSimulator({ timeoutSeconds: 30, maxRetries: 2, ...config });
  });
  afterAll(async () => h.close());
  beforeEach(() => h.sim.reset());
}

async function generate(fault: Fault, args: Record<string, unknown>) {
  h.sim.enqueueFaults(fault);
  const result = await h.call("generate_image", { return_image: "none", wait_seconds: 60, ...args });
  return { out: result.structuredContent as unknown as GenerationResult, text: textOf(result) };
}

const ROUTES = [
  ["images", {}],
  ["responses", { route: "responses" }],
] as const;
const SHAPES = [
  ["JSON", {}],
  ["stream", { partial_images: 1 }],
] as const;

describe("variants the formats allow: one call, one verified image", () => {
  harness();
  const cases = ROUTES.flatMap(([route, r]) =>
    (["sse_done", "sse_cr", "sse_crlf", "b64_unpadded", "b64_escaped", "gzip"] as const).flatMap((fault) =>
      SHAPES.filter(([shape]) => shape === "stream" || !fault.startsWith("sse")).map(
        ([shape, s]) => [fault, route, shape, { ...r, ...s }] as const,
      ),
    ),
  );
  it.each(cases)("%s on the %s route (%s)", async (fault, _route, _shape, args) => {
    const { out } = await generate(fault, { prompt: `variant ${fault}`, ...args });
    expect(out.status).toBe("completed");
    expect(out.images.map((i) => i.verified)).toEqual([true]);
    expect(h.sim.stats.imageRequests).toBe(1);
  });
});

describe("errors in a 200", () => {
  harness();
  it.each(ROUTES)("a quota error on the %s route is the provider's own message, not retried", async (_route, args) => {
    const { out, text } = await generate("error_in_200", { prompt: "no quota", ...args });
    expect(out.status).toBe("failed");
    expect(text).toMatch(/insufficient_quota/);
    expect(text).toMatch(/not retried/);
    expect(h.sim.stats.imageRequests).toBe(1);
  });

  it("a server error in a 200 is retried, and the retry record keeps the provider's message", async () => {
    const { out } = await generate("error_in_200_server", { prompt: "server hiccup" });
    expect(out.status).toBe("completed");
    expect(out.retries[0]?.reason).toMatch(/upstream_unavailable: The upstream channel is temporarily unavailable/);
    expect(h.sim.stats.imageRequests).toBe(2);
  });
});

describe("stalls", () => {
  // Long enough that the healthy retry's pauses (rendering on a busy machine) never reach it.
  harness({ streamIdleSeconds: 3 });
  it.each([
    ["stall_after_headers", {}],
    ["stall_mid_stream", { partial_images: 1 }],
  ] as const)(
    "%s ends at the idle deadline, says it may have been billed, and the retry delivers",
    async (fault, args) => {
      const { out } = await generate(fault, { prompt: `stall ${fault}`, ...args });
      expect(out.status).toBe("completed");
      expect(out.retries[0]).toMatchObject({ may_have_been_billed: true });
      expect(out.retries[0]?.reason).toMatch(/no bytes for 3 s/);
      expect(h.sim.stats.imageRequests).toBe(2);
    },
  );
});
