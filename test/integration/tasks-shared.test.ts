// Tasks on jobs shared by replicas (Redis): the task follows a job this process may not hold, and reports it as
// working until the shared job ends.
import { type CallToolResult, CallToolResultSchema, CreateTaskResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { expect, it } from "vitest";
import type { GenerationResult } from "../../src/contract/schemas.js";
import { useRedisHarness } from "../helpers/replicas.js";
import { connectV1 } from "../helpers/v1.js";

const h = useRedisHarness();

it("a task on a shared job is working while it runs, then gives the completed result", async () => {
  h.sim.setLatency(1500);
  const { client } = await connectV1(h.runtime);
  const { task } = await client.request(
    { method: "tools/call", params: { name: "generate_image", arguments: { prompt: "shared task" }, task: {} } },
    CreateTaskResultSchema,
  );
  expect(task.status).toBe("working");
  expect((await client.experimental.tasks.getTask(task.taskId)).status).toBe("working");
  const result = (await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema, {
    timeout: 60_000,
  })) as CallToolResult;
  const done = result.structuredContent as unknown as GenerationResult;
  expect(done.status).toBe("completed");
  expect(done.images[0]?.verified).toBe(true);
  expect(h.sim.stats.imageRequests).toBe(1);
}, 60_000);
