// MCP tasks (spec 2025-11-25) through the SDK client's experimental tasks API: a task-augmented generate_image
// returns the task at once; tasks/get, tasks/result, tasks/cancel and tasks/list work on the same jobs as job_id.

import { Client as V1Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport as V1Transport } from "@modelcontextprotocol/sdk/inMemory.js";
import { type CallToolResult, CallToolResultSchema, CreateTaskResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { McpServer } from "@modelcontextprotocol/server";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { GenerationResult } from "../../src/contract/results.js";
import { createLogger } from "../../src/log.js";
import { callResult, installToolCalls, toolSet } from "../../src/tools/calls.js";
import { defineTool } from "../../src/tools/define.js";
import { jobsForTasks } from "../../src/tools/task-jobs.js";
import { installLegacyTaskMethods, LEGACY_TASK_CAPABILITIES } from "../../src/tools/task-methods.js";
import { inBackground, TaskBook } from "../../src/tools/tasks.js";
import { connectWithSimulator, type SimHarness } from "../helpers/simulated.js";
import { connectV1, type V1Session } from "../helpers/v1.js";

let h: SimHarness;
/** The v1 SDK client's experimental tasks API speaks the 2025-11-25 tasks of today's hosts. */
let v1: V1Session;
beforeAll(async () => {
  h = await connectWithSimulator({ timeoutSeconds: 30 });
  v1 = await connectV1(h.runtime);
});
afterAll(async () => {
  await v1.close();
  await h.close();
});
beforeEach(() => {
  h.sim.reset();
  h.sim.setLatency(0);
});

/** A task-augmented tools/call, as a client that speaks tasks sends it. */
async function createTask(args: Record<string, unknown>, name = "generate_image") {
  const { task } = await v1.client.request(
    { method: "tools/call", params: { name, arguments: args, task: { ttl: 600_000 } } },
    CreateTaskResultSchema,
  );
  return task;
}

const structured = (r: unknown) => (r as CallToolResult).structuredContent as unknown as GenerationResult;
const tasks = () => v1.client.experimental.tasks;

describe("generate_image as a task", () => {
  it("is listed with task support optional; the other tools are not", async () => {
    const { tools } = await h.client.listTools();
    const support = Object.fromEntries(tools.map((t) => [t.name, t.execution?.taskSupport]));
    expect(support).toMatchObject({ generate_image: "optional", validate_size: "forbidden" });
  });

  it("create -> get -> result: the task comes back at once, working with a progress message, then the completed result", async () => {
    h.sim.setLatency(3000);
    const task = await createTask({ prompt: "a task", size: "1536x1024", return_image: "none" });
    expect(task.status).toBe("working");
    expect(task.taskId).toMatch(/^job_/);
    const got = await tasks().getTask(task.taskId);
    expect(got.status).toBe("working");
    expect(got.statusMessage).toMatch(/rendering 1536x1024 .* s elapsed/);

    const result = await tasks().getTaskResult(task.taskId, CallToolResultSchema, { timeout: 60_000 });
    const done = structured(result);
    expect(done).toMatchObject({ status: "completed", job_id: task.taskId, model: "gpt-image-2" });
    expect(done.images[0]).toMatchObject({ width: 1536, height: 1024, verified: true });
    expect((await tasks().getTask(task.taskId)).status).toBe("completed");
    expect(h.sim.stats.imageRequests).toBe(1);
  });

  it("tasks/result returns exactly what a completed generate_image call returns (the same job through verify_image too)", async () => {
    const task = await createTask({ prompt: "same answer", return_image: "none" });
    const viaTask = (await tasks().getTaskResult(task.taskId, CallToolResultSchema)) as CallToolResult;
    const viaCall = (await h.call("generate_image", { prompt: "same answer", return_image: "none" })) as CallToolResult;
    const { _meta, ...taskBody } = viaTask;
    expect(_meta?.["io.modelcontextprotocol/related-task"]).toEqual({ taskId: task.taskId });
    // The second call reuses the task's job (no double billing) and says so; otherwise the results are the same.
    const callResult = structured(viaCall);
    expect(callResult.reused_job).toBe(true);
    expect({ ...callResult, reused_job: false, caveats: structured(taskBody).caveats }).toEqual(structured(taskBody));
    expect(taskBody.content[0]?.type).toBe("text");
    const collected = await h.call("verify_image", { job_id: task.taskId, return_image: "none" });
    expect(collected.structuredContent).toMatchObject({ status: "verified", job_id: task.taskId });
    expect(h.sim.stats.imageRequests).toBe(1);
  });

  it("a running task's job_id collects with verify_image while it runs", async () => {
    h.sim.setLatency(800);
    const task = await createTask({ prompt: "collect me", return_image: "none" });
    const collected = await h.call("verify_image", { job_id: task.taskId, wait_seconds: 30, return_image: "none" });
    expect(collected.structuredContent).toMatchObject({ status: "verified", job_status: "completed" });
  });

  it("cancel: the task is cancelled at once; the request already sent finishes and its image is kept", async () => {
    // The provider holds the answer long enough for the cancel to come while it is in flight, on a busy machine too.
    h.sim.setLatency(4000);
    const before = h.files().filter((f) => f.endsWith(".png")).length;
    const task = await createTask({ prompt: "cancel me", return_image: "none" });
    await expect.poll(() => h.sim.stats.imageRequests, { timeout: 30_000 }).toBe(1);
    const cancelled = await tasks().cancelTask(task.taskId);
    expect(cancelled.status).toBe("cancelled");
    expect((await tasks().getTask(task.taskId)).status).toBe("cancelled");
    const kept = await h.call("verify_image", { job_id: task.taskId, wait_seconds: 30, return_image: "none" });
    expect(kept.structuredContent).toMatchObject({ status: "verified", job_status: "completed" });
    expect(h.files().filter((f) => f.endsWith(".png"))).toHaveLength(before + 1);
    const answer = structured(await tasks().getTaskResult(task.taskId, CallToolResultSchema));
    expect(answer.caveats.join(" ")).toContain(`verify_image with job_id "${task.taskId}"`);
    expect(h.sim.stats.imageRequests).toBe(1);
  });

  it("cancel before the request is sent: the job is dropped and nothing is paid", async () => {
    const one = await connectWithSimulator({ maxConcurrency: 1, timeoutSeconds: 30 });
    const oneV1 = await connectV1(one.runtime);
    try {
      one.sim.setLatency(4000);
      const request = (prompt: string) =>
        oneV1.client.request(
          {
            method: "tools/call",
            params: { name: "generate_image", arguments: { prompt, return_image: "none" }, task: {} },
          },
          CreateTaskResultSchema,
        );
      const first = (await request("holds the only slot")).task;
      const queued = (await request("waits for the slot")).task;
      await expect.poll(() => one.sim.stats.imageRequests, { timeout: 30_000 }).toBe(1);
      const cancelled = await oneV1.client.experimental.tasks.cancelTask(queued.taskId);
      expect(cancelled.status).toBe("cancelled");
      // Its job ends, never sent, so the slot the first one frees cannot send it.
      await expect
        .poll(async () => (await one.runtime.book.get(queued.taskId))?.status, { timeout: 30_000 })
        .toBe("cancelled");
      expect((await one.runtime.book.get(queued.taskId))?.sent).toBe(false);
      await oneV1.client.experimental.tasks.getTaskResult(first.taskId, CallToolResultSchema, { timeout: 30_000 });
      expect(one.sim.stats.imageRequests).toBe(1);
      const collected = await one.call("verify_image", { job_id: queued.taskId, return_image: "none" });
      expect(collected.structuredContent).toMatchObject({ job_status: "failed" });
    } finally {
      await oneV1.close();
      await one.close();
    }
  });

  it("list: this connection's tasks, with their states", async () => {
    const a = await createTask({ prompt: "listed one", return_image: "none" });
    const b = await createTask({ prompt: "listed two", return_image: "none" });
    await tasks().getTaskResult(a.taskId, CallToolResultSchema);
    await tasks().getTaskResult(b.taskId, CallToolResultSchema);
    const { tasks: listed } = await tasks().listTasks();
    const ids = listed.map((t) => t.taskId);
    expect(ids).toEqual(expect.arrayContaining([a.taskId, b.taskId]));
    expect(listed.find((t) => t.taskId === a.taskId)?.status).toBe("completed");
  });

  it("a request refused locally is a task that failed with the same error result, and nothing is sent", async () => {
    const task = await createTask({ prompt: "too wide", size: "5000x1000" });
    expect(task.status).toBe("failed");
    const result = (await tasks().getTaskResult(task.taskId, CallToolResultSchema)) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(h.sim.stats.imageRequests).toBe(0);
  });

  it("a tool without task support refuses a task-augmented call", async () => {
    await expect(createTask({ size: "1024x1024" }, "validate_size")).rejects.toThrow(/does not run as a task/);
  });

  it("a 4K generation completes through tasks", async () => {
    const task = await createTask({ prompt: "a 4K lighthouse", size: "3840x2160", return_image: "none" });
    const result = structured(await tasks().getTaskResult(task.taskId, CallToolResultSchema, { timeout: 120_000 }));
    expect(result.status).toBe("completed");
    expect(result.requested.size).toBe("3840x2160");
    expect(result.images[0]).toMatchObject({ width: 3840, height: 2160, verified: true });
  });
});

describe("a running result", () => {
  it("carries the real model and requested size", async () => {
    h.sim.setLatency(1000);
    const r = await h.call("generate_image", {
      prompt: "blank no more",
      size: "1536x1024",
      quality: "low",
      wait_seconds: 0,
      return_image: "none",
    });
    const running = structured(r);
    expect(running.status).toBe("running");
    expect(running.model).toBe("gpt-image-2");
    expect(running.requested).toMatchObject({ size: "1536x1024", quality: "low", n: 1 });
    await h.call("verify_image", { job_id: running.job_id, wait_seconds: 30 });
  });
});

describe("a tool whose work is local (not a job) as a task", () => {
  it("runs in the background: working at once, then the tool's own result through tasks/result", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const handler = async (args: Record<string, unknown>, _extra?: unknown) => {
      await gate;
      return { structured: { echoed: String(args.text) }, summary: `Echoed ${String(args.text)}.` };
    };
    const tool = {
      ...defineTool({
        name: "slow_echo",
        title: "Slow echo",
        kind: "pure",
        description: "test tool",
        input: { text: z.string() },
        output: z.object({ echoed: z.string() }),
        handler,
      }),
      task: inBackground(handler),
    };
    const book = new TaskBook(jobsForTasks(h.runtime.images), callResult, () => ({ content: [], isError: true }));
    const server = new McpServer(
      { name: "t", version: "0" },
      { capabilities: { tools: {}, tasks: LEGACY_TASK_CAPABILITIES } },
    );
    installToolCalls(server, toolSet([tool]), {
      era: "legacy",
      remote: false,
      book,
      scope: "test",
      logger: createLogger("silent"),
    });
    installLegacyTaskMethods(server, book, "test");
    const client = new V1Client({ name: "c", version: "0" });
    const [a, b] = V1Transport.createLinkedPair();
    await server.connect(b);
    await client.connect(a);
    try {
      const { tools } = await client.listTools();
      expect(tools[0]?.execution?.taskSupport).toBe("optional");
      const { task } = await client.request(
        { method: "tools/call", params: { name: "slow_echo", arguments: { text: "hi" }, task: {} } },
        CreateTaskResultSchema,
      );
      expect(task.status).toBe("working");
      expect((await client.experimental.tasks.getTask(task.taskId)).status).toBe("working");
      release();
      const result = (await client.experimental.tasks.getTaskResult(
        task.taskId,
        CallToolResultSchema,
      )) as CallToolResult;
      expect(result.structuredContent).toEqual({ echoed: "hi" });
      expect((await client.experimental.tasks.getTask(task.taskId)).status).toBe("completed");
    } finally {
      await client.close();
      await server.close();
    }
  });
});
