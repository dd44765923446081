import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallToolResult, Client } from "@modelcontextprotocol/client";
import { afterEach } from "vitest";
import { connectInProcess } from "../../src/cli/call.js";
import { type Config, loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { createRuntime, type Runtime, type RuntimeOptions } from "../../src/runtime.js";
import { type Simulator, type SimulatorOptions, startSimulator } from "../../src/simulator/server.js";

export interface SimHarness {
  client: Client;
  runtime: Runtime;
  sim: Simulator;
  workspace: string;
  call(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  /** Files in the workspace (names), excluding the manifest, jobs.jsonl and the state folder (the job book). */
  files(): string[];
  close(): Promise<void>;
}

/**
 * A real MCP client and server in one process, the server's real openai-SDK upstream pointed at a standalone
 * simulator the test can steer and count.
 */
export async function connectWithSimulator(
  config: Partial<Config> = {},
  simOptions: SimulatorOptions = {},
  runtimeOptions: RuntimeOptions = {},
): Promise<SimHarness> {
  const sim = await startSimulator({ apiKey: "test-key", ...simOptions });
  // A private parent folder, so a test can check that nothing was written beside the workspace.
  const parent = mkdtempSync(join(tmpdir(), "pixelwright-sim-"));
  const workspace = join(parent, "workspace");
  mkdirSync(workspace);
  const base = loadConfig({ env: { PIXELWRIGHT_WORKSPACE: workspace, OPENAI_API_KEY: "test-key" } });
  const runtime = await createRuntime(
    // The deadline covers the whole attempt (headers and body): room for slow streamed test answers.
    { ...base, baseURL: sim.baseURL, timeoutSeconds: 60, ...config },
    createLogger("silent"),
    { retryBaseDelayMs: 50, ...runtimeOptions },
  );
  const { client, close } = await connectInProcess(runtime);
  return {
    client,
    runtime,
    sim,
    workspace,
    call: async (name, args) =>
      (await client.callTool({ name, arguments: args }, { timeout: 120_000 })) as CallToolResult,
    files: () =>
      readdirSync(workspace).filter((f) => f !== "manifest.jsonl" && f !== "jobs.jsonl" && f !== ".pixelwright"),
    async close() {
      await close();
      await runtime.close();
      await sim.close();
      rmSync(parent, { recursive: true, force: true });
    },
  };
}

export function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
}

/**
 * Simulated sessions for one test file: each test's harnesses (and whatever `defer` registers) are closed after it,
 * newest first.
 */
export function simulatedSessions() {
  let cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanup.reverse()) await fn();
    cleanup = [];
  });
  return {
    defer: (...fns: Array<() => Promise<void> | void>) => {
      cleanup.push(...fns);
    },
    async harness(config: Partial<Config> = {}): Promise<SimHarness> {
      const h = await connectWithSimulator(config);
      cleanup.push(() => h.close());
      return h;
    },
  };
}
