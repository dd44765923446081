// The done-when of MCP tasks: the SDK client, speaking to the built server over stdio (offline simulator), completes a
// 4K generation through tasks/get and tasks/result; over HTTP, tasks outlive the request that created them.
import { rmSync } from "node:fs";
import { type CallToolResult, CallToolResultSchema, CreateTaskResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { GenerationResult } from "../../src/contract/results.js";
import { httpClient, spawnHttp } from "../helpers/http.js";
import { type SpawnedClient, spawnClient, tempWorkspace } from "../helpers/spawn.js";

const workspace = tempWorkspace();
let c: SpawnedClient;
beforeAll(async () => {
  c = await spawnClient({ PIXELWRIGHT_WORKSPACE: workspace });
});
afterAll(async () => {
  await c.close();
  rmSync(workspace, { recursive: true, force: true });
});

it("a 4K generation completes through tasks over stdio", async () => {
  const { task } = await c.client.request(
    {
      method: "tools/call",
      params: { name: "generate_image", arguments: { prompt: "a lighthouse at dawn", size: "3840x2160" }, task: {} },
    },
    CreateTaskResultSchema,
  );
  expect(["working", "completed"]).toContain(task.status);
  const polled = await c.client.experimental.tasks.getTask(task.taskId);
  expect(polled.taskId).toBe(task.taskId);
  const result = (await c.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema, {
    timeout: 300_000,
  })) as CallToolResult;
  const structured = result.structuredContent as unknown as GenerationResult;
  expect(structured.status).toBe("completed");
  expect(structured.images[0]).toMatchObject({ width: 3840, height: 2160, verified: true });
  expect(result.content.some((b) => b.type === "image")).toBe(true);
  expect((await c.client.experimental.tasks.getTask(task.taskId)).status).toBe("completed");
}, 300_000);

it("over stateless HTTP a task created in one request is followed and collected in the next ones", async () => {
  const server = await spawnHttp({ PIXELWRIGHT_WORKSPACE: workspace });
  const client = await httpClient(server.url);
  try {
    const { task } = await client.request(
      { method: "tools/call", params: { name: "generate_image", arguments: { prompt: "over http" }, task: {} } },
      CreateTaskResultSchema,
    );
    const result = (await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema, {
      timeout: 120_000,
    })) as CallToolResult;
    expect((result.structuredContent as unknown as GenerationResult).status).toBe("completed");
    const { tasks } = await client.experimental.tasks.listTasks();
    expect(tasks.map((t) => t.taskId)).toContain(task.taskId);
  } finally {
    await client.close();
    await server.stop();
  }
}, 120_000);
