// A job whose later steps (a retry, auto's master) meet the spend cap or fail tells one story in every field: the
// first sentence, `failure`, `retries`, `next`, `strategy` and `decision` agree on what was sent, what may have been
// billed and what was not sent. Through the real MCP client and the real openai SDK against the simulator, with the
// upstream calls counted.

import { describe, expect, it } from "vitest";
import { type GenerationResult, GenerationResultSchema } from "../../src/contract/schemas.js";
import { fromWire } from "../../src/contract/wire.js";
import { type SimHarness, simulatedSessions, textOf } from "../helpers/simulated.js";

const sessions = simulatedSessions();
const FOUR_K = { prompt: "a harbour at dawn", size: "3840x2160", quality: "high", return_image: "none" } as const;

async function generate(
  h: SimHarness,
  args: Record<string, unknown>,
): Promise<{ out: GenerationResult; text: string }> {
  const result = await h.call("generate_image", args);
  const out = fromWire(GenerationResultSchema, result.structuredContent) as GenerationResult;
  return { out, text: textOf(result) };
}

/** Every strategy's estimate for a request, from a dry run (nothing sent). */
async function estimates(args: Record<string, unknown>): Promise<(strategy: string) => number> {
  const probe = await sessions.harness();
  const { out } = await generate(probe, { ...args, strategy: "auto", dry_run: true });
  return (strategy) => out.estimates?.find((e) => e.strategy === strategy)?.cost_estimate_usd as number;
}

describe("a retry the spend cap refuses", () => {
  it("says the sent attempt may have been billed and the retry was not sent, in every field", async () => {
    const args = { prompt: "a stalled lighthouse", size: "1024x1024", quality: "high", return_image: "none" };
    const cost = await estimates(args);
    // Room for one and a half attempts: the first is sent and stalls (kept at its estimate), the retry has no room.
    const h = await sessions.harness({ maxSpendUsd: cost("native") * 1.5, timeoutSeconds: 1, maxRetries: 2 });
    h.sim.enqueueFaults("hang", "hang", "hang");
    const { out, text } = await generate(h, args);
    expect(h.sim.stats.imageRequests).toBe(1);
    expect(out.status).toBe("failed");
    expect(text).toMatch(/^Generation failed: the spend cap has no room for retry 1 .*, so retry 1 was not sent/);
    expect(text).toMatch(/1 sent attempt may have been billed/);
    expect(text).not.toMatch(/nothing was sent/i);
    expect(out.failure).toMatchObject({ request_id: null, may_have_been_billed: true });
    // The one attempt that went out is listed, and says its retry never went out.
    expect(out.retries).toHaveLength(1);
    expect(out.retries[0]).toMatchObject({ attempt: 1, may_have_been_billed: true });
    expect(out.retries[0]?.reason).toMatch(/^timeout.*; retry 1 was not sent: the spend cap .* has no room for it$/);
    expect(out.next).toMatch(/spend cap.*may have been billed.*once room frees up.*or raise the cap/);
    expect(out.next).not.toMatch(/wait a minute|try again later|Nothing was billed/i);
  });
});

describe("strategy auto, when native fails", () => {
  it("whose master the cap refuses: strategy auto, the native attempt listed as maybe billed, no master claimed", async () => {
    const cost = await estimates(FOUR_K);
    const h = await sessions.harness({
      maxSpendUsd: cost("native") + cost("master") / 2,
      timeoutSeconds: 1,
      maxRetries: 0,
    });
    h.sim.enqueueFaults("hang");
    const { out, text } = await generate(h, { ...FOUR_K, strategy: "auto" });
    expect(h.sim.stats.imageRequests).toBe(1);
    expect(out).toMatchObject({ status: "failed", strategy: "auto" });
    expect(out.requested.size).toBe("3840x2160");
    expect(text).toMatch(
      /^Generation failed: the spend cap has no room for the fallback .*, so the fallback was not sent/,
    );
    expect(text).toMatch(/1 sent attempt may have been billed/);
    expect(out.decision).toMatch(/^fallback: native 3840x2160 failed \(timeout.*\), and the fallback to the stable/);
    expect(out.decision).not.toMatch(/was generated/);
    expect(out.failure).toMatchObject({ request_id: null, may_have_been_billed: true });
    expect(out.retries).toHaveLength(1);
    expect(out.retries[0]).toMatchObject({ attempt: 1, request_id: null, may_have_been_billed: true });
    expect(out.retries[0]?.reason).toMatch(/^timeout.*; the fallback was not sent: the spend cap/);
    expect(out.next).toMatch(/spend cap.*may have been billed/);
  });

  it("and its master completes: every native attempt is in retries and request_ids, beside the master's", async () => {
    const h = await sessions.harness({ timeoutSeconds: 1, maxRetries: 1 });
    // Native: an error answer (not billed), then a stall (may have been billed); then the master is answered.
    h.sim.enqueueFaults("500", "hang");
    const { out, text } = await generate(h, { ...FOUR_K, strategy: "auto" });
    expect(h.sim.stats.imageRequests).toBe(3);
    expect(out).toMatchObject({ status: "completed", strategy: "auto" });
    expect(text).toMatch(/^Fallback: native 3840x2160 failed \(timeout/);
    expect(out.retries.map((r) => [r.attempt, r.may_have_been_billed])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(out.retries[0]?.reason).toMatch(/^500/);
    expect(out.retries[1]?.reason).toMatch(/^timeout.*; auto falls back to the stable 2560x1440 master$/);
    // The 500's id and the master's: the stalled attempt never got as far as an id.
    expect(out.request_ids).toHaveLength(2);
    expect(out.request_ids).toContain(out.retries[0]?.request_id);
  });

  it("and its master fails too: strategy auto, the size asked, every attempt listed, nothing billed", async () => {
    const h = await sessions.harness({ maxRetries: 0 });
    h.sim.enqueueFaults("500", "500");
    const { out, text } = await generate(h, { ...FOUR_K, strategy: "auto" });
    expect(h.sim.stats.imageRequests).toBe(2);
    expect(out).toMatchObject({ status: "failed", strategy: "auto" });
    expect(out.requested.size).toBe("3840x2160");
    expect(out.decision).toMatch(/^fallback: native 3840x2160 failed \(500.*\), and the fallback .* did not complete/);
    expect(out.retries).toHaveLength(1);
    expect(out.retries[0]).toMatchObject({ attempt: 1, may_have_been_billed: false });
    expect(out.request_ids).toHaveLength(2);
    expect(out.failure).toMatchObject({ request_id: out.request_ids[1], may_have_been_billed: false });
    expect(text).toMatch(/Nothing was billed: every attempt sent was answered with an error\./);
  });
});

describe("the strategy a result names", () => {
  it.each(["auto", "master"] as const)("is %s while the job runs, and when it is collected", async (strategy) => {
    const h = await sessions.harness();
    // The answer takes a while: the call returns at once with the job running.
    h.sim.setLatency(3000);
    const { out: running } = await generate(h, { ...FOUR_K, strategy, wait_seconds: 0 });
    expect(running).toMatchObject({ status: "running", strategy });
    expect(running.requested.size).toBe("3840x2160");
    const collected = await h.call("verify_image", { job_id: running.job_id, wait_seconds: 60, return_image: "none" });
    expect(collected.structuredContent).toMatchObject({ status: "verified" });
    const { out: again } = await generate(h, { ...FOUR_K, strategy });
    expect(again).toMatchObject({ status: "completed", strategy, reused_job: true });
  });
});
