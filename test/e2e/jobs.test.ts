import { once } from "node:events";
import { readdirSync } from "node:fs";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GenerationResult } from "../../src/contract/results.js";
import { type Simulator, startSimulator } from "../../src/simulator/server.js";
import { spawnClient, tempWorkspace } from "../helpers/spawn.js";

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

describe("shutdown during a generation", () => {
  it("on stdin end, the paid job already sent finishes, is saved and recorded, the process exits, and a later process collects it with no new upstream call", async () => {
    sim.setLatency(3000);
    const workspace = tempWorkspace();
    const env = { ...envFor(workspace), PIXELWRIGHT_LOG_LEVEL: "info" };
    const spawned = await spawnClient(env);
    const started = (await spawned.client.callTool({
      name: "generate_image",
      arguments: { prompt: "one-shot client", wait_seconds: 0.5, return_image: "none" },
    })) as CallToolResult;
    const running = started.structuredContent as unknown as GenerationResult;
    expect(running.status).toBe("running");
    // The SDK transport keeps its child private; the test closes stdin like a one-shot client would.
    const child = (spawned.transport as unknown as { _process: import("node:child_process").ChildProcess })._process;
    const exited = once(child, "exit");
    child.stdin?.end();
    const [code] = await exited;
    expect(code).toBe(0);
    expect(sim.stats.imageRequests).toBe(1);
    expect(sim.stats.requests[0]?.aborted).toBe(false);
    expect(readdirSync(workspace).filter((f) => f.endsWith(".png"))).toHaveLength(1);
    expect(spawned.stderr()).toMatch(new RegExp(`"job":"${running.job_id}","status":"completed".*job finished`));
    await spawned.close().catch(() => {});

    const later = await spawnClient(envFor(workspace));
    try {
      const collected = await later.client.callTool({
        name: "verify_image",
        arguments: { job_id: running.job_id, return_image: "none" },
      });
      expect(collected.structuredContent).toMatchObject({ status: "verified", job_id: running.job_id });
      expect(sim.stats.imageRequests).toBe(1);
    } finally {
      await later.close();
    }
  }, 60_000);

  it.each([
    ["SIGTERM", (child: import("node:child_process").ChildProcess) => child.kill("SIGTERM")],
    ["SIGINT", (child: import("node:child_process").ChildProcess) => child.kill("SIGINT")],
  ])("on %s the process exits at once, the upstream request is aborted, no image is written", async (_name, stop) => {
    sim.setLatency(20_000);
    const workspace = tempWorkspace();
    const spawned = await spawnClient(envFor(workspace));
    const started = (await spawned.client.callTool({
      name: "generate_image",
      arguments: { prompt: "interrupted", partial_images: 1, wait_seconds: 0.5 },
    })) as CallToolResult;
    expect((started.structuredContent as unknown as GenerationResult).status).toBe("running");
    // The SDK transport keeps its child private; the test needs it to send a signal or close stdin like a client would.
    const child = (spawned.transport as unknown as { _process: import("node:child_process").ChildProcess })._process;
    const exited = once(child, "exit");
    const stoppedAt = Date.now();
    stop(child);
    await exited;
    expect(Date.now() - stoppedAt).toBeLessThan(3000);
    await new Promise((r) => setTimeout(r, 200));
    expect(sim.stats.requests[0]?.aborted).toBe(true);
    // No image and nothing half-written; at most the job record of the aborted (maybe billed) attempt.
    expect(readdirSync(workspace).filter((f) => f !== "jobs.jsonl")).toEqual([]);
    await spawned.close().catch(() => {});
  });
});
