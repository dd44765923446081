// The legacy SDK (v1, @modelcontextprotocol/sdk, a devDependency only) as a client: today's hosts are built on it,
// so the tests drive the server with it too, speaking 2025-11-25 (including the experimental tasks API).

import { Client, type ClientOptions } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { Runtime } from "../../src/runtime.js";
import { type ConnectionOptions, createServer } from "../../src/server.js";

export interface V1Session {
  client: Client;
  close(): Promise<void>;
}

/** A v1 SDK client connected in-process to a fresh server on `runtime`. */
export async function connectV1(
  runtime: Runtime,
  options: ClientOptions = {},
  connection: ConnectionOptions = {},
): Promise<V1Session> {
  const server = createServer(runtime, connection);
  const client = new Client({ name: "v1-client", version: "1.0.0" }, options);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  return {
    client,
    async close() {
      await client.close();
      await server.close();
    },
  };
}
