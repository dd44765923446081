// What a sent step leaves in the spend ledger decides what the next call may send: a step answered with an error is
// known not billed and frees its reservation, so an identical-cost call goes out; a step whose outcome is unknown
// (a timeout after sending, a dropped connection) keeps its estimate, so the next call is refused with nothing sent.
// Through the real MCP client and the real openai SDK against the simulator, with the upstream calls counted.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GenerationResult, GenerationResultSchema } from "../../src/contract/schemas.js";
import { fromWire } from "../../src/contract/wire.js";
import { Limiter } from "../../src/jobs/limiter.js";
import { createLogger } from "../../src/log.js";
import type { Fault } from "../../src/simulator/knobs.js";
import { type Simulator, startSimulator } from "../../src/simulator/server.js";
import { createUpstream } from "../../src/upstream/index.js";
import { type SimHarness, simulatedSessions, textOf } from "../helpers/simulated.js";

const sessions = simulatedSessions();
const ARGS = { size: "1024x1024", quality: "high", return_image: "none" } as const;

async function generate(
  h: SimHarness,
  prompt: string,
  more: Record<string, unknown> = {},
): Promise<{ out: GenerationResult; text: string }> {
  const result = await h.call("generate_image", { ...ARGS, prompt, ...more });
  return { out: fromWire(GenerationResultSchema, result.structuredContent) as GenerationResult, text: textOf(result) };
}

/** A harness whose cap has room for one estimate of ARGS and not two, no retries, the first request meeting `fault`. */
async function capForOne(fault: Fault): Promise<SimHarness> {
  const probe = await sessions.harness();
  const { out } = await generate(probe, "what would it cost", { dry_run: true });
  const estimate = out.cost_estimate_usd as number;
  expect(estimate).toBeGreaterThan(0);
  const h = await sessions.harness({ maxSpendUsd: estimate * 1.5, timeoutSeconds: 1, maxRetries: 0 });
  h.sim.enqueueFaults(fault);
  return h;
}

describe("a step answered with an error is not billed", () => {
  it.each([
    ["a 400 (moderation)", "moderation"],
    ["a 500 that is not retried", "500"],
  ] as const)("%s frees its reservation: the next call of the same cost is sent and completes", async (_, fault) => {
    const h = await capForOne(fault);
    const { out: first } = await generate(h, "a lighthouse the provider refuses");
    expect(first.status).toBe("failed");
    expect(first.failure).toMatchObject({ may_have_been_billed: false });
    const { out: second } = await generate(h, "a lighthouse at dawn");
    expect(second.status).toBe("completed");
    expect(h.sim.stats.imageRequests).toBe(2);
  });
});

describe("a step whose outcome is unknown may have been billed", () => {
  it.each([
    ["a timeout after sending", "hang"],
    ["a dropped connection", "reset"],
  ] as const)("%s keeps its reservation: the next call is refused by the cap, nothing sent", async (_, fault) => {
    const h = await capForOne(fault);
    const { out: first } = await generate(h, "a lighthouse that never answers");
    expect(first.status).toBe("failed");
    expect(first.failure).toMatchObject({ may_have_been_billed: true });
    const refused = await h.call("generate_image", { ...ARGS, prompt: "a lighthouse at dawn" });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/spent, \$0\.\d\d remaining.*nothing was sent/);
    expect(h.sim.stats.imageRequests).toBe(1);
  });
});

// A reservation is freed (or settled, or kept) before the caller hears how the step went: a caller told "not billed"
// that calls again at once, on this replica or another, finds the room already free. Through the real openai SDK
// against the simulator; the ledger's write is made slower than the answer on purpose (two turns of the event loop).
describe("a step's outcome is in the ledger before its call returns", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ apiKey: "sim-key" });
  });
  afterAll(() => sim.close());

  it.each([
    ["a completed image", undefined, "yes"],
    ["a 400 (moderation)", "moderation", "no"],
  ] as const)("%s: the ledger is written, then the call returns", async (_, fault, billed) => {
    sim.reset();
    if (fault) sim.enqueueFaults(fault);
    const order: string[] = [];
    const laterTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
    const upstream = createUpstream({
      endpoint: { provider: "test", baseURL: sim.baseURL, apiKey: "sim-key", timeoutMs: 10_000 },
      logger: createLogger("silent"),
      slots: new Limiter(1),
      retry: { maxRetries: 0 },
    });
    const call = upstream.generate(
      { body: { model: "gpt-image-2", prompt: "ledger", size: "1024x1024" }, partialImages: 0 },
      1,
      {
        onSending: async () => ({
          done: async (outcome) => {
            await laterTurn();
            await laterTurn();
            order.push(`ledger: ${outcome.billed}`);
          },
        }),
      },
    );
    await call.then(
      () => order.push("returned"),
      () => order.push("returned"),
    );
    expect(order).toEqual([`ledger: ${billed}`, "returned"]);
  });

  it("a step stopped after it was reserved, before a byte went out (a shutdown), is not billed and reaches no one", async () => {
    sim.reset();
    const outcomes: string[] = [];
    const stop = new AbortController();
    const upstream = createUpstream({
      endpoint: { provider: "test", baseURL: sim.baseURL, apiKey: "sim-key", timeoutMs: 10_000 },
      logger: createLogger("silent"),
      slots: new Limiter(1),
      retry: { maxRetries: 0 },
    });
    const call = upstream.generate(
      { body: { model: "gpt-image-2", prompt: "stopped", size: "1024x1024" }, partialImages: 0 },
      1,
      {
        signal: stop.signal,
        onSending: async () => {
          stop.abort("the server is shutting down");
          return {
            done: async (outcome) => {
              outcomes.push(outcome.billed);
            },
          };
        },
      },
    );
    await expect(call).rejects.toThrow(/cancelled|shutting down/);
    expect(outcomes).toEqual(["no"]);
    expect(sim.stats.imageRequests).toBe(0);
  });
});
