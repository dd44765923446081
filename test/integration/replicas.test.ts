// The shared (Redis) job path in one process, through the real MCP client: what a caller who leaves does to a job.

import { describe, expect, it } from "vitest";
import type { GenerationResult } from "../../src/contract/schemas.js";
import { useRedisHarness } from "../helpers/replicas.js";

const h = useRedisHarness();

/** Waits for an event seen by polling its state (expect.poll: retried until it holds, no fixed sleep). */
async function until(check: () => boolean, what: string): Promise<void> {
  await expect.poll(check, { timeout: 20_000, message: `waiting for ${what}` }).toBe(true);
}

describe("shared jobs and callers who leave", () => {
  it("detaches from a shared job whose request was sent when its only caller cancels: it completes, nothing is paid twice", async () => {
    h.sim.setLatency(1500);
    const args = { prompt: "left alone", return_image: "none" };
    const controller = new AbortController();
    const call = h.client.callTool(
      { name: "generate_image", arguments: args },
      {
        signal: controller.signal,
      },
    );
    await until(() => h.sim.stats.inFlight === 1, "the request to be in flight");
    controller.abort("user pressed stop");
    await expect(call).rejects.toThrow();
    const again = (await h.call("generate_image", args)).structuredContent as unknown as GenerationResult;
    expect(again).toMatchObject({ status: "completed", reused_job: true });
    expect(h.sim.stats.requests[0]?.aborted).toBe(false);
    expect(h.sim.stats.imageRequests).toBe(1);
  });

  it("keeps a shared job running when one of its two callers cancels", async () => {
    h.sim.setLatency(1500);
    const args = { prompt: "shared then left", return_image: "none" };
    const controller = new AbortController();
    const first = h.client.callTool(
      { name: "generate_image", arguments: args },
      {
        signal: controller.signal,
      },
    );
    await until(() => h.sim.stats.inFlight === 1, "the request to be in flight");
    const second = h.call("generate_image", args);
    // The first caller leaves once the second has joined its job (the book counts both).
    await expect.poll(async () => (await h.runtime.book.list(0, 10)).some((job) => job.attachments >= 2)).toBe(true);
    controller.abort();
    await expect(first).rejects.toThrow();
    const result = (await second).structuredContent as unknown as GenerationResult;
    expect(result).toMatchObject({ status: "completed", reused_job: true });
    expect(h.sim.stats.imageRequests).toBe(1);
  });
});
