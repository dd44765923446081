import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { type Config, loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { createServer } from "../../src/server.js";

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
  const server = createServer(runtime);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "test", version: "0" });
  await server.connect(serverSide);
  await client.connect(clientSide);
  return {
    client,
    runtime,
    workspace: config.workspace,
    async close() {
      await client.close();
      await server.close();
      await runtime.close();
      rmSync(workspace, { recursive: true, force: true });
    },
  };
}
