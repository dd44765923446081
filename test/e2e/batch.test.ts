// A batch outlives the process that sent it: the batch job is in the workspace's job book, so a stdio server started
// later (its detached runner, another process) collects it — one batch, every image verified.

import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectInProcess } from "../../src/cli/call.js";
import { loadConfig } from "../../src/config.js";
import type { BatchResult } from "../../src/contract/schemas.js";
import { openSqliteBook } from "../../src/jobs/sqlite-book.js";
import { createLogger } from "../../src/log.js";
import { createRuntime } from "../../src/runtime.js";
import { type Simulator, startSimulator } from "../../src/simulator/server.js";
import { runCli, spawnClient, spawnRaw, tempWorkspace } from "../helpers/spawn.js";

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

// A person at the command line with one upstream slot (PIXELWRIGHT_MAX_CONCURRENCY=1) and a batch the Batch API holds
// running: `call generate_batch` answers at once, a verify_image waiting on the batch takes no slot from anyone's
// generation, and the only job_id a person ever sees is the batch's.
describe("generate_batch from the command line, with one upstream slot and a batch still running", () => {
  const env = cliEnv({ PIXELWRIGHT_MAX_CONCURRENCY: "1" });
  const workspace = env.PIXELWRIGHT_WORKSPACE as string;
  let started: { code: number | null; result: BatchResult & { next: string } };
  let collector: ChildProcess | null = null;
  let collected: Promise<{ code: number | null; stdout: string; stderr: string }>;
  let lookId = "";

  beforeAll(async () => {
    sim.enqueueBatchFaults("batch_running");
    const items = [{ prompt: "held", size: "1024x1024" }];
    const { code, stdout } = await runCli(["call", "generate_batch", JSON.stringify({ items })], env);
    started = { code, result: JSON.parse(stdout) };
  }, 120_000);
  afterAll(() => {
    sim.releaseBatches();
    collector?.kill();
  });

  it("call generate_batch answers at once: running, with the batch's job_id and how to collect it", () => {
    expect(started.code).toBe(0);
    expect(started.result).toMatchObject({ status: "running", job_id: expect.stringMatching(/^job_/) });
    expect(started.result.next).toContain(`verify_image with job_id "${started.result.job_id}"`);
  });

  it("while verify_image waits on the batch, generate_image still gets the one upstream slot", async () => {
    const batchJob = started.result.job_id as string;
    const args = JSON.stringify({ job_id: batchJob, wait_seconds: 600, return_image: "none" });
    const child = spawnRaw(["call", "verify_image", args], env);
    collector = child;
    collected = outputOf(child);
    // The look at the batch is running (a worker polls the Batch API for it) before the generation is asked for.
    lookId = await lookRunning(workspace, batchJob);
    const { code, stdout } = await runCli(
      ["call", "generate_image", JSON.stringify({ prompt: "not held up", size: "1024x1024", return_image: "none" })],
      env,
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ status: "completed", images: [{ verified: true }] });
  }, 120_000);

  it("the collector's progress names only the batch's job_id, and it reports the batch verified once it ends", async () => {
    sim.releaseBatches();
    const { code, stdout, stderr } = await collected;
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ status: "verified", job_id: started.result.job_id });
    const progress = stderr.split("\n").filter((l) => l.startsWith("pixelwright: ["));
    expect(progress.length).toBeGreaterThan(0);
    for (const line of progress) expect(line).toContain(started.result.job_id);
    expect(stderr).not.toContain(lookId);
  }, 120_000);

  it("verify_image with the id of the look reports its batch under the batch's job_id, never a false failure", async () => {
    const args = JSON.stringify({ job_id: lookId, return_image: "none" });
    const { code, stdout } = await runCli(["call", "verify_image", args], env);
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { status: string; job_id: string; caveats: string[] };
    expect(result).toMatchObject({ status: "verified", job_id: started.result.job_id });
    expect(result.caveats.join(" ")).toContain(`the batch of job_id "${started.result.job_id}"`);
  }, 60_000);
});

// PIXELWRIGHT_RUNNER=in-process: the call's own process sends the batch, so it stays until the batch is created (or
// refused) — never until it is answered — and prints what became of it.
describe("generate_batch from the command line in a process that sends the batch itself", () => {
  const env = cliEnv({ PIXELWRIGHT_RUNNER: "in-process" });
  const batchOf = (prompt: string) => JSON.stringify({ items: [{ prompt, size: "1024x1024" }] });

  it("exits 0 once the batch is created, printing its job_id and batch id; a new process collects it", async () => {
    sim.enqueueBatchFaults("batch_running");
    const sent = await runCli(["call", "generate_batch", batchOf("sent by the call's own process")], env);
    expect(sent.code).toBe(0);
    const result = JSON.parse(sent.stdout) as BatchResult & { job_id: string; next: string };
    expect(result).toMatchObject({ status: "running", job_id: expect.stringMatching(/^job_/) });
    expect(result.batch.batch_id).toMatch(/^batch_/);
    expect(result.next).toContain(`verify_image with job_id "${result.job_id}"`);
    sim.releaseBatches();
    const args = JSON.stringify({ job_id: result.job_id, wait_seconds: 60, return_image: "none" });
    const collected = await runCli(["call", "verify_image", args], env);
    expect(collected.code).toBe(0);
    expect(JSON.parse(collected.stdout)).toMatchObject({
      status: "verified",
      job_id: result.job_id,
      images: [{ width: 1024, height: 1024, verified: true }],
    });
  }, 120_000);

  it("exits 1 with the batch's reason when the Batch API refuses the batch as a whole", async () => {
    sim.enqueueBatchFaults("batch_failed");
    const sent = await runCli(["call", "generate_batch", batchOf("refused as a whole")], env);
    expect(sent.code).toBe(1);
    expect(JSON.parse(sent.stdout)).toMatchObject({ status: "failed", batch: { batch_status: "failed" } });
  }, 120_000);
});

/** The environment of CLI calls on a new workspace against the simulator (its address set once it listens). */
function cliEnv(extra: Record<string, string>): Record<string, string> {
  const env = { PIXELWRIGHT_WORKSPACE: tempWorkspace(), OPENAI_API_KEY: "e2e-key", OPENAI_BASE_URL: "", ...extra };
  beforeAll(() => {
    env.OPENAI_BASE_URL = sim.baseURL;
  });
  return env;
}

function outputOf(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    child.stdin?.end();
    child.stdout?.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The id of the job looking at the batch, once a worker runs it (read from the workspace's job book). */
async function lookRunning(workspace: string, batchJob: string): Promise<string> {
  const book = await openSqliteBook({ path: join(workspace, ".pixelwright", "state.db") });
  try {
    const running = async () =>
      (await book.list(0, 100)).find(
        (j) => j.status === "running" && (j.payload as { batchJob?: string } | null)?.batchJob === batchJob,
      )?.id ?? "";
    await expect.poll(running, { timeout: 60_000, interval: 200 }).toMatch(/^job_/);
    return await running();
  } finally {
    await book.close();
  }
}
