import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/client";
import { connectInProcess } from "../../src/cli/call.js";
import { type Config, loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";

export interface Harness {
  client: Client;
  runtime: Runtime;
  workspace: string;
  close(): Promise<void>;
}

/** A real MCP client talking to a real server over the SDK's in-memory transport, with a throwaway workspace. */
export async function connect(overrides: Partial<Config> = {}, env: NodeJS.ProcessEnv = {}): Promise<Harness> {
  const workspace = mkdtempSync(join(tmpdir(), "pixelwright-test-"));
  const config = { ...loadConfig({ env: { PIXELWRIGHT_WORKSPACE: workspace, ...env } }), ...overrides };
  const runtime = await createRuntime(config, createLogger("silent"));
  const session = await connectInProcess(runtime);
  return {
    client: session.client,
    runtime,
    workspace: config.workspace,
    async close() {
      await session.close();
      await runtime.close();
      rmSync(workspace, { recursive: true, force: true });
    },
  };
}
