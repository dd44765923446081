// A batch outlives the process that sent it: the batch job is in the workspace's job book, so a stdio server started
// later (its detached runner, another process) collects it — one batch, every image verified.

import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { connectInProcess } from "../../src/cli/call.js";
import { loadConfig } from "../../src/config.js";
import type { BatchResult } from "../../src/contract/schemas.js";
import { createLogger } from "../../src/log.js";
import { createRuntime } from "../../src/runtime.js";
import { type Simulator, startSimulator } from "../../src/simulator/server.js";
import { spawnClient, tempWorkspace } from "../helpers/spawn.js";

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ apiKey: "e2e-key" });
});
afterAll(async () => sim.close());

it("a batch sent by one process is collected by another, after the first closed: one batch, every image verified", async () => {
  const workspace = tempWorkspace();
  const env = { PIXELWRIGHT_WORKSPACE: workspace, OPENAI_API_KEY: "e2e-key", OPENAI_BASE_URL: sim.baseURL };
  // The sender: a server in this process, which runs its jobs itself, closed once the batch is sent.
  const runtime = await createRuntime(loadConfig({ env }), createLogger("silent"));
  const sender = await connectInProcess(runtime);
  sim.enqueueBatchFaults("batch_running");
  const items = [
    { prompt: "sent by one process", size: "1536x1024" },
    { prompt: "collected by another", size: "1024x1024", quality: "low" },
  ];
  const started = (await sender.client.callTool({ name: "generate_batch", arguments: { items } }))
    .structuredContent as unknown as BatchResult & { job_id: string };
  expect(started.status).toBe("running");
  await runtime.images.jobEnded(started.job_id);
  await sender.close();
  await runtime.close();

  sim.releaseBatches();
  const collector = await spawnClient(env);
  try {
    const collected = (await collector.client.callTool(
      { name: "verify_image", arguments: { job_id: started.job_id, wait_seconds: 60, return_image: "none" } },
      undefined,
      { timeout: 120_000 },
    )) as CallToolResult;
    expect(collected.structuredContent).toMatchObject({
      status: "verified",
      job_status: "completed",
      job_id: started.job_id,
      batch: { batch_status: "completed", counts: { completed: 2, failed: 0 } },
      images: [
        { width: 1536, height: 1024, verified: true },
        { width: 1024, height: 1024, verified: true },
      ],
    });
  } finally {
    await collector.close();
  }
  expect(sim.stats.requests.filter((r) => r.path === "/v1/batches")).toHaveLength(1);
}, 150_000);
