import { once } from "node:events";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type CallToolResult, CallToolResultSchema, CreateTaskResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GenerationResult } from "../../src/contract/results.js";
import { type Simulator, startSimulator } from "../../src/simulator/server.js";
import { alive, openBookOf, workerPid } from "../helpers/book.js";
import { type SpawnedClient, spawnClient, spawnRaw, tempWorkspace } from "../helpers/spawn.js";

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ apiKey: "e2e-key" });
});
afterAll(async () => sim.close());
beforeEach(() => sim.reset());

function envFor(workspace: string): Record<string, string> {
  return { PIXELWRIGHT_WORKSPACE: workspace, OPENAI_API_KEY: "e2e-key", OPENAI_BASE_URL: sim.baseURL };
}

describe("a client with the SDK's default 60 s timeout", () => {
  it("gets a verified image from a 65 s generation by following the result's own instructions, with one upstream call", async () => {
    sim.setLatency(65_000);
    const workspace = tempWorkspace();
    const spawned = await spawnClient(envFor(workspace));
    try {
      // No options: the SDK's default 60 s request timeout applies to every call.
      let result = (await spawned.client.callTool({
        name: "generate_image",
        arguments: { prompt: "a slow 4K poster", size: "3840x2160", quality: "high", return_image: "none" },
      })) as CallToolResult;
      let out = result.structuredContent as unknown as GenerationResult;
      expect(out.status).toBe("running");
      let calls = 0;
      while (out.status === "running" && calls++ < 5) {
        expect(out.next).toContain("verify_image");
        result = (await spawned.client.callTool({
          name: "verify_image",
          arguments: { job_id: out.job_id, return_image: "none" },
        })) as CallToolResult;
        out = {
          ...(result.structuredContent as unknown as GenerationResult),
          status: (result.structuredContent as { job_status: "completed" }).job_status,
        };
      }
      expect(result.structuredContent).toMatchObject({
        status: "verified",
        images: [{ width: 3840, height: 2160, verified: true }],
      });
      expect(sim.stats.imageRequests).toBe(1);
    } finally {
      await spawned.close();
    }
  }, 150_000);
});

// Hosts end a stdio session by closing stdin, then SIGTERM 2 s later and SIGKILL 2 s after that (the SDK's
// StdioClientTransport.close(), the Inspector); @ai-sdk/mcp sends SIGTERM at once; a crashed host leaves a SIGKILL.
// Paid work runs in a detached runner, so none of this reaches a request already sent.
describe("a paid request outlives the process that asked for it", () => {
  const child = (spawned: SpawnedClient) =>
    (spawned.transport as unknown as { _process: import("node:child_process").ChildProcess })._process;

  async function startFourK(workspace: string, extra: Record<string, string> = {}) {
    const spawned = await spawnClient({ ...envFor(workspace), ...extra });
    const started = (await spawned.client.callTool({
      name: "generate_image",
      arguments: { prompt: "a 4K poster that outlives its client", size: "3840x2160", wait_seconds: 0.2 },
    })) as CallToolResult;
    const running = started.structuredContent as unknown as GenerationResult & { job_id: string };
    expect(running.status).toBe("running");
    await expect.poll(() => sim.stats.inFlight, { timeout: 30_000 }).toBe(1);
    return { spawned, running };
  }

  async function collect(workspace: string, jobId: string) {
    const later = await spawnClient(envFor(workspace));
    try {
      return (await later.client.callTool(
        { name: "verify_image", arguments: { job_id: jobId, wait_seconds: 60, return_image: "none" } },
        undefined,
        { timeout: 120_000 },
      )) as CallToolResult;
    } finally {
      await later.close();
    }
  }

  it("collects in a new process, verified, the 3840x2160 job of an SDK client that closed (stdin, SIGTERM, SIGKILL), one upstream call", async () => {
    sim.setLatency(7000);
    const workspace = tempWorkspace();
    const { spawned, running } = await startFourK(workspace);
    const server = child(spawned);
    const exited = once(server, "exit");
    await spawned.close();
    await exited;
    const collected = await collect(workspace, running.job_id);
    expect(collected.structuredContent).toMatchObject({
      status: "verified",
      job_id: running.job_id,
      images: [{ width: 3840, height: 2160, verified: true }],
    });
    expect(sim.stats.imageRequests).toBe(1);
    expect(sim.stats.requests[0]?.aborted).toBe(false);
  }, 120_000);

  it.each([
    ["SIGKILL (a crashed host)", "SIGKILL"],
    ["SIGTERM (@ai-sdk/mcp)", "SIGTERM"],
    ["SIGINT", "SIGINT"],
  ] as const)(
    "after %s of the server, a new process collects the job, verified, one upstream call",
    async (_name, signal) => {
      sim.setLatency(3000);
      const workspace = tempWorkspace();
      const { spawned, running } = await startFourK(workspace);
      const server = child(spawned);
      const exited = once(server, "exit");
      server.kill(signal);
      await exited;
      const collected = await collect(workspace, running.job_id);
      expect(collected.structuredContent).toMatchObject({
        status: "verified",
        images: [{ width: 3840, height: 2160 }],
      });
      expect(sim.stats.imageRequests).toBe(1);
      expect(sim.stats.requests[0]?.aborted).toBe(false);
      await spawned.close().catch(() => {});
    },
    120_000,
  );

  it("answers the identical call of the next one-shot process with the first job: one upstream call", async () => {
    sim.setLatency(3000);
    const workspace = tempWorkspace();
    const args = { prompt: "asked by two one-shot processes", wait_seconds: 0.2, return_image: "none" };
    const first = await spawnClient(envFor(workspace));
    const one = (await first.client.callTool({ name: "generate_image", arguments: args }))
      .structuredContent as unknown as GenerationResult & { job_id: string };
    await first.close();
    const second = await spawnClient(envFor(workspace));
    try {
      const two = (await second.client.callTool(
        { name: "generate_image", arguments: { ...args, wait_seconds: 60 } },
        undefined,
        { timeout: 120_000 },
      )) as CallToolResult;
      expect(two.structuredContent).toMatchObject({ status: "completed", job_id: one.job_id, reused_job: true });
    } finally {
      await second.close();
    }
    expect(sim.stats.imageRequests).toBe(1);
  }, 120_000);

  it("leaves a job whose runner was killed mid-request 'may have been billed', never re-sent, also to the identical request", async () => {
    sim.setLatency(20_000);
    const workspace = tempWorkspace();
    const { spawned, running } = await startFourK(workspace);
    await expect.poll(() => workerPid(workspace, running.job_id), { timeout: 30_000 }).toBeGreaterThan(0);
    const runner = (await workerPid(workspace, running.job_id)) as number;
    expect(runner).not.toBe(child(spawned).pid);
    process.kill(runner, "SIGKILL");
    await expect.poll(() => alive(runner)).toBe(false);
    const collected = (await spawned.client.callTool({
      name: "verify_image",
      arguments: { job_id: running.job_id, wait_seconds: 30, return_image: "none" },
    })) as CallToolResult;
    expect(collected.structuredContent).toMatchObject({ status: "failed" });
    expect(JSON.stringify(collected.content)).toMatch(/lost with the request in flight; may have been billed/);
    const again = (await spawned.client.callTool({
      name: "generate_image",
      arguments: { prompt: "a 4K poster that outlives its client", size: "3840x2160", wait_seconds: 5 },
    })) as CallToolResult;
    expect(again.structuredContent).toMatchObject({ status: "failed", job_id: running.job_id, reused_job: true });
    expect(sim.stats.imageRequests).toBe(1);
    // The lost job has its jobs.jsonl line, with what was asked (the spend cap counts it).
    const lines = readFileSync(join(workspace, "jobs.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toMatchObject([
      {
        job_id: running.job_id,
        status: "failed",
        may_have_been_billed: 1,
        model: "gpt-image-2",
        result: { failure: { may_have_been_billed: true }, requested: { size: "3840x2160" } },
      },
    ]);
    await spawned.close();
  }, 120_000);

  it("answers in a new process for a task whose stdio session ended: tasks/get, then the result, one upstream call", async () => {
    sim.setLatency(3000);
    const workspace = tempWorkspace();
    const first = await spawnClient(envFor(workspace));
    const { task } = await first.client.request(
      {
        method: "tools/call",
        params: {
          name: "generate_image",
          arguments: { prompt: "a task that outlives its session", return_image: "none" },
          task: {},
        },
      },
      CreateTaskResultSchema,
    );
    await expect.poll(() => sim.stats.inFlight, { timeout: 30_000 }).toBe(1);
    await first.close();
    const later = await spawnClient(envFor(workspace));
    try {
      expect((await later.client.experimental.tasks.getTask(task.taskId)).status).toMatch(/working|completed/);
      const answer = (await later.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema, {
        timeout: 60_000,
      })) as CallToolResult;
      expect(answer.structuredContent).toMatchObject({ status: "completed", job_id: task.taskId });
    } finally {
      await later.close();
    }
    expect(sim.stats.imageRequests).toBe(1);
  }, 120_000);

  /** A one-shot `call` as a person runs it, its stderr collected, its exit awaited. */
  function oneShot(args: Record<string, unknown>, env: Record<string, string>) {
    const child = spawnRaw(["call", "generate_image", JSON.stringify(args)], env);
    child.stdin?.end();
    let stderr = "";
    let stdout = "";
    child.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.stdout?.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    const exited = once(child, "close").then(([code]) => ({ code: code as number | null, stderr, stdout }));
    return { child, exited };
  }

  async function jobsOf(workspace: string, prompt: string) {
    const book = await openBookOf(workspace);
    try {
      return (await book.list(0, 50)).filter((j) => JSON.stringify(j.payload).includes(prompt));
    } finally {
      await book.close();
    }
  }

  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const)(
    "cancels the queued job of a one-shot call interrupted by %s: never sent, and it says nothing was paid",
    async (signal, code) => {
      sim.setLatency(8000);
      const workspace = tempWorkspace();
      const env = { ...envFor(workspace), PIXELWRIGHT_MAX_CONCURRENCY: "1" };
      const first = oneShot({ prompt: "first in line", return_image: "none" }, env);
      await expect.poll(() => sim.stats.inFlight, { timeout: 30_000 }).toBe(1);
      const second = oneShot({ prompt: "second in line", return_image: "none" }, env);
      await expect
        .poll(async () => (await jobsOf(workspace, "second in line"))[0]?.status, { timeout: 30_000 })
        .toBe("queued");
      second.child.kill(signal);
      const out = await second.exited;
      expect(out.code).toBe(code);
      expect(out.stderr).toContain("cancelled before its request was sent; nothing was paid");
      expect((await jobsOf(workspace, "second in line"))[0]).toMatchObject({ status: "cancelled", sent: false });
      expect((await first.exited).code).toBe(0);
      expect(sim.stats.imageRequests).toBe(1);
    },
    90_000,
  );

  it("leaves the sent job of an interrupted one-shot call running, says how to collect it, and it is collected once paid", async () => {
    // Long enough that the signal lands while the request is in flight, however busy the machine is.
    sim.setLatency(20_000);
    const workspace = tempWorkspace();
    const call = oneShot({ prompt: "sent, then Ctrl-C", return_image: "none" }, envFor(workspace));
    await expect.poll(() => sim.stats.inFlight, { timeout: 30_000 }).toBe(1);
    call.child.kill("SIGINT");
    const out = await call.exited;
    expect(out.code).toBe(130);
    const jobId = /job (\S+) goes on in the background because its request was sent/.exec(out.stderr)?.[1];
    expect(jobId, out.stderr).toBeDefined();
    const later = await spawnClient(envFor(workspace));
    try {
      const collected = (await later.client.callTool({
        name: "verify_image",
        arguments: { job_id: jobId, wait_seconds: 60, return_image: "none" },
      })) as CallToolResult;
      expect(collected.structuredContent).toMatchObject({ status: "verified" });
    } finally {
      await later.close();
    }
    expect(sim.stats.imageRequests).toBe(1);
  }, 90_000);

  it("stops the runner of a workspace whose job book was deleted, long before its idle time", async () => {
    const workspace = tempWorkspace();
    const spawned = await spawnClient({ ...envFor(workspace), PIXELWRIGHT_RUNNER_IDLE_SECONDS: "3600" });
    let runner = 0;
    try {
      const done = (await spawned.client.callTool({
        name: "generate_image",
        arguments: { prompt: "and then the folder goes", return_image: "none" },
      })) as CallToolResult;
      const result = done.structuredContent as unknown as GenerationResult & { job_id: string };
      expect(result.status).toBe("completed");
      runner = (await workerPid(workspace, result.job_id)) as number;
      expect(alive(runner)).toBe(true);
    } finally {
      await spawned.close();
    }
    rmSync(join(workspace, ".pixelwright"), { recursive: true, force: true });
    await expect.poll(() => alive(runner), { timeout: 60_000 }).toBe(false);
  }, 90_000);

  it("starts one detached runner, which exits once it has had nothing to do", async () => {
    sim.setLatency(500);
    const workspace = tempWorkspace();
    const spawned = await spawnClient({ ...envFor(workspace), PIXELWRIGHT_RUNNER_IDLE_SECONDS: "1" });
    try {
      const done = (await spawned.client.callTool({
        name: "generate_image",
        arguments: { prompt: "and then nothing", return_image: "none" },
      })) as CallToolResult;
      const result = done.structuredContent as unknown as GenerationResult & { job_id: string };
      expect(result.status).toBe("completed");
      const runner = (await workerPid(workspace, result.job_id)) as number;
      expect(runner).toBeGreaterThan(0);
      expect(runner).not.toBe(child(spawned).pid);
      await expect.poll(() => alive(runner), { timeout: 30_000 }).toBe(false);
    } finally {
      await spawned.close();
    }
  }, 60_000);
});
