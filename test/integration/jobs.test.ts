import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { CallToolResult, Progress } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GenerationResult } from "../../src/contract/results.js";
import { connectWithSimulator, type SimHarness, textOf } from "../helpers/simulated.js";

let h: SimHarness;
beforeAll(async () => {
  h = await connectWithSimulator({ maxConcurrency: 2, timeoutSeconds: 30 });
});
afterAll(async () => h.close());
beforeEach(() => {
  h.sim.reset();
  h.sim.setLatency(0);
});

const asResult = (r: CallToolResult) => r.structuredContent as unknown as GenerationResult;
/** Upstream requests that reached the simulator and are still unanswered (its request log). */
const unanswered = () => h.sim.stats.requests.filter((r) => r.status === 0).length;
const jobIdIn = (message: string | undefined) => /job_id (job_[0-9a-f]+)/.exec(message ?? "")?.[1] ?? "";

describe("a generation slower than wait_seconds", () => {
  it("returns running with a job_id and a next step; verify_image(job_id) then returns the verified image", async () => {
    h.sim.setLatency(1500);
    const first = await h.call("generate_image", { prompt: "slow one", wait_seconds: 0.2, return_image: "none" });
    const running = asResult(first);
    expect(running.status).toBe("running");
    expect(running.job_id).toMatch(/^job_/);
    expect(running.next).toContain(`verify_image with job_id "${running.job_id}"`);
    expect(textOf(first)).toMatch(/^Still generating .*call verify_image with job_id/);

    const collected = await h.call("verify_image", { job_id: running.job_id, wait_seconds: 30 });
    expect(collected.structuredContent).toMatchObject({
      status: "verified",
      job_status: "completed",
      job_id: running.job_id,
      images: [{ width: 1024, height: 1024, verified: true }],
    });
    expect(collected.content.some((c) => c.type === "image")).toBe(true);
    expect(h.sim.stats.imageRequests).toBe(1);
  });

  it("wait_seconds 0 returns at once, before the upstream has answered", async () => {
    h.sim.setLatency(3000);
    const result = asResult(await h.call("generate_image", { prompt: "instant return", wait_seconds: 0 }));
    expect(result.status).toBe("running");
    expect(h.sim.stats.requests.filter((r) => r.status !== 0)).toEqual([]);
    await h.call("verify_image", { job_id: result.job_id, wait_seconds: 30 });
  });
});

describe("no double billing", () => {
  it("shares one upstream request among identical requests while running and after completion; fresh forces a new one", async () => {
    h.sim.setLatency(800);
    const args = { prompt: "the same request", size: "1536x1024", return_image: "none" };
    const [a, b] = await Promise.all([h.call("generate_image", args), h.call("generate_image", args)]);
    const again = asResult(await h.call("generate_image", args));
    expect(h.sim.stats.imageRequests).toBe(1);
    expect(asResult(a).job_id).toBe(asResult(b).job_id);
    expect(again.job_id).toBe(asResult(a).job_id);
    expect(again.reused_job).toBe(true);
    expect(again.caveats.join(" ")).toMatch(/fresh: true/);
    const fresh = asResult(await h.call("generate_image", { ...args, fresh: true }));
    expect(fresh.job_id).not.toBe(again.job_id);
    expect(h.sim.stats.imageRequests).toBe(2);
  });

  it("does not share between requests that differ", async () => {
    await h.call("generate_image", { prompt: "differs", quality: "low", return_image: "none" });
    await h.call("generate_image", { prompt: "differs", quality: "high", return_image: "none" });
    expect(h.sim.stats.imageRequests).toBe(2);
  });
});

describe("progress", () => {
  it("sends a first notification at once and heartbeats while the upstream is silent, strictly increasing", async () => {
    // The upstream stays silent for 9 s: the first notification and the 5 s heartbeat must both arrive meanwhile.
    h.sim.setLatency(9000);
    const updates: (Progress & { upstreamAnswered: boolean })[] = [];
    const result = await h.client.callTool(
      {
        name: "generate_image",
        arguments: { prompt: "heartbeat", size: "3840x2160", quality: "high", return_image: "none" },
      },
      {
        timeout: 60_000,
        onprogress: (p) => updates.push({ ...p, upstreamAnswered: h.sim.stats.requests.some((r) => r.status !== 0) }),
      },
    );
    expect(asResult(result as CallToolResult)).toMatchObject({ status: "completed", retries: [] });
    expect(updates.filter((u) => !u.upstreamAnswered).length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < updates.length; i++) {
      expect(updates[i]?.progress).toBeGreaterThan(updates[i - 1]?.progress ?? 0);
    }
    expect(updates.some((u) => /rendering 3840x2160 high — \d+ s elapsed/.test(u.message ?? ""))).toBe(true);
    // Slots were free: nothing may claim the job was queued.
    expect(updates.filter((u) => /queued/.test(u.message ?? ""))).toEqual([]);
  });

  it("turns each partial image into a notification before the result", async () => {
    const messages: string[] = [];
    await h.client.callTool(
      { name: "generate_image", arguments: { prompt: "partials please", partial_images: 2, return_image: "none" } },
      { onprogress: (p) => messages.push(p.message ?? "") },
    );
    expect(messages.filter((m) => /partial image \d of 2/.test(m))).toHaveLength(2);
  });

  it("sends nothing without a progress token, and the result is the same", async () => {
    // A client of its own: replacing the progress handler would break onprogress for the shared client.
    const quiet = await connectWithSimulator();
    try {
      const seen: string[] = [];
      quiet.client.setNotificationHandler("notifications/progress", (n) => {
        seen.push(String(n.params.message));
      });
      const result = asResult(
        await quiet.call("generate_image", { prompt: "quiet", partial_images: 1, return_image: "none" }),
      );
      expect(result.status).toBe("completed");
      expect(seen).toEqual([]);
    } finally {
      await quiet.close();
    }
  });
});

describe("cancellation", () => {
  it("detaches when the client cancels after the request was sent: the job finishes, saves and is collectable", async () => {
    h.sim.setLatency(1500);
    let jobId = "";
    const controller = new AbortController();
    const call = h.client.callTool(
      { name: "generate_image", arguments: { prompt: "cancel me after sending", return_image: "none" } },
      {
        signal: controller.signal,
        onprogress: (p) => {
          jobId ||= jobIdIn(p.message);
        },
      },
    );
    // Sent: the request is at the provider, and the job has named itself.
    await expect.poll(() => unanswered() === 1 && jobId !== "", { timeout: 30_000 }).toBe(true);
    controller.abort("user pressed stop");
    await expect(call).rejects.toThrow();
    expect(jobId).toMatch(/^job_/);
    const collected = await h.call("verify_image", { job_id: jobId, wait_seconds: 30, return_image: "none" });
    expect(collected.structuredContent).toMatchObject({ status: "verified", job_status: "completed" });
    expect(h.sim.stats.requests[0]?.aborted).toBe(false);
    expect(h.sim.stats.imageRequests).toBe(1);
  });

  it("drops a job whose request was not sent yet (still queued for a slot) when its only caller cancels", async () => {
    // Long enough that the queued job is seen queued and cancelled before a slot frees, on a busy machine too.
    h.sim.setLatency(5000);
    const busy = [1, 2].map((i) => h.call("generate_image", { prompt: `holding slot ${i}`, return_image: "none" }));
    // Both slots taken: both requests are at the provider.
    await expect.poll(unanswered, { timeout: 30_000 }).toBe(2);
    const controller = new AbortController();
    let queuedId = "";
    const queued = h.client.callTool(
      { name: "generate_image", arguments: { prompt: "never sent", return_image: "none" } },
      {
        signal: controller.signal,
        onprogress: (p) => {
          if (/^queued\b/.test(p.message ?? "")) queuedId ||= jobIdIn(p.message);
        },
      },
    );
    await expect.poll(() => queuedId, { timeout: 30_000 }).toMatch(/^job_/);
    controller.abort("changed my mind");
    await expect(queued).rejects.toThrow();
    // The job ends cancelled and unsent, so it can never take the slot the busy jobs free.
    await expect.poll(async () => (await h.runtime.book.get(queuedId))?.status, { timeout: 30_000 }).toBe("cancelled");
    expect((await h.runtime.book.get(queuedId))?.sent).toBe(false);
    await Promise.all(busy);
    expect(h.sim.stats.imageRequests).toBe(2);
  });

  it("does not abort a job another caller shares", async () => {
    h.sim.setLatency(4000);
    const args = { prompt: "shared then cancelled", return_image: "none" };
    const controller = new AbortController();
    const first = h.client.callTool(
      { name: "generate_image", arguments: args },
      {
        signal: controller.signal,
      },
    );
    await expect.poll(unanswered, { timeout: 30_000 }).toBe(1);
    // The second caller is attached once the shared job reports progress to it.
    let attached = false;
    const second = h.client.callTool(
      { name: "generate_image", arguments: args },
      {
        timeout: 60_000,
        onprogress: () => {
          attached = true;
        },
      },
    ) as Promise<CallToolResult>;
    await expect.poll(() => attached, { timeout: 30_000 }).toBe(true);
    controller.abort();
    await expect(first).rejects.toThrow();
    const result = asResult(await second);
    expect(result.status).toBe("completed");
    expect(h.sim.stats.imageRequests).toBe(1);
  });
});

describe("concurrency", () => {
  it("never has more than PIXELWRIGHT_MAX_CONCURRENCY (2) upstream requests in flight for four jobs", async () => {
    // Long enough that all four are asked for while the first two are still at the provider, on a busy machine too.
    h.sim.setLatency(2000);
    const results = await Promise.all(
      [1, 2, 3, 4].map((i) => h.call("generate_image", { prompt: `parallel ${i}`, return_image: "none" })),
    );
    for (const r of results) expect(asResult(r).status).toBe("completed");
    expect(h.sim.stats.imageRequests).toBe(4);
    expect(h.sim.stats.maxInFlight).toBeLessThanOrEqual(2);
    expect(h.sim.stats.maxInFlight).toBe(2);
  });

  it("says a job is queued while it waits for a slot", async () => {
    h.sim.setLatency(3000);
    const messages: string[] = [];
    const busy = [
      h.call("generate_image", { prompt: "slot a", return_image: "none" }),
      h.call("generate_image", { prompt: "slot b", return_image: "none" }),
    ];
    await expect.poll(unanswered, { timeout: 30_000 }).toBe(2);
    await h.client.callTool(
      { name: "generate_image", arguments: { prompt: "slot c", return_image: "none" } },
      {
        onprogress: (p) => messages.push(p.message ?? ""),
      },
    );
    await Promise.all(busy);
    expect(
      messages.some((m) => /queued/.test(m)),
      messages.join("\n"),
    ).toBe(true);
  });
});

describe("results survive the client and the process", () => {
  it("collects a finished job from the workspace records after a restart", async () => {
    const done = asResult(await h.call("generate_image", { prompt: "before restart", return_image: "none" }));
    const restarted = await connectWithSimulator({ workspace: h.workspace });
    try {
      const collected = await restarted.call("verify_image", { job_id: done.job_id, return_image: "none" });
      expect(collected.structuredContent).toMatchObject({ status: "verified", job_id: done.job_id });
      expect(restarted.sim.stats.imageRequests).toBe(0);
    } finally {
      await restarted.runtime.close();
      await restarted.sim.close();
    }
  });

  it("new job ids carry 128 random bits; a job recorded under an older 64-bit id is still collected", async () => {
    const done = asResult(await h.call("generate_image", { prompt: "old id", return_image: "none" }));
    const jobId = String(done.job_id);
    expect(jobId).toMatch(/^job_[0-9a-f]{32}$/);
    const old = "job_00112233aabbccdd";
    const journal = join(h.workspace, "jobs.jsonl");
    const line = readFileSync(journal, "utf8")
      .trim()
      .split("\n")
      .find((l) => l.includes(jobId));
    appendFileSync(journal, `${(line ?? "").replaceAll(jobId, old)}\n`);
    const restarted = await connectWithSimulator({ workspace: h.workspace });
    try {
      const collected = await restarted.call("verify_image", { job_id: old, return_image: "none" });
      expect(collected.structuredContent).toMatchObject({ status: "verified", job_id: old });
    } finally {
      await restarted.runtime.close();
      await restarted.sim.close();
    }
  });

  it("answers an unknown job_id with a clear error", async () => {
    const result = await h.call("verify_image", { job_id: "job_0123456789abcdef" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/no job "job_0123456789abcdef" is known/);
  });
});
