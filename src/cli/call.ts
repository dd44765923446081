// `pixelwright call <tool> <json>`: run one tool in-process through a real MCP client over an in-memory transport,
// so the CLI exercises exactly the code path an agent does.

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import { didYouMean } from "../contract/suggest.js";
import { InputError } from "../errors.js";
import type { Runtime } from "../runtime.js";
import { createServer } from "../server.js";
import { VERSION } from "../version.js";

export interface InProcessClient {
  client: Client;
  close(): Promise<void>;
}

export async function connectInProcess(runtime: Runtime): Promise<InProcessClient> {
  const server = createServer(runtime);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "pixelwright-cli", version: VERSION });
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

export function parseToolArguments(json: string | undefined): Record<string, unknown> {
  if (json === undefined || json.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new InputError(`the tool arguments are not valid JSON (${(err as Error).message}); pass one JSON object.`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InputError('the tool arguments must be one JSON object, such as \'{"size":"1920x1080"}\'.');
  }
  return value as Record<string, unknown>;
}

/** The tool named, or a sentence with the closest name. */
export function findTool(tools: Tool[], name: string): Tool {
  const tool = tools.find((t) => t.name === name);
  if (tool) return tool;
  const names = tools.map((t) => t.name);
  throw new InputError(`there is no tool '${name}'.${didYouMean(name, names)} The tools are ${names.join(", ")}.`);
}

/** An argument the tool does not take is refused here, before anything runs, with the closest one it does take. */
export function checkArguments(tool: Tool, args: Record<string, unknown>): void {
  const known = Object.keys(tool.inputSchema.properties ?? {});
  for (const key of Object.keys(args)) {
    if (known.includes(key)) continue;
    throw new InputError(
      `${tool.name} takes no argument '${key}'.${didYouMean(key, known)} pixelwright tools ${tool.name} lists them.`,
      key,
    );
  }
}

export interface CallOptions {
  /** Receives the server's progress notifications (the client then sends a progress token with the call). */
  onprogress?: (update: { progress: number; total?: number; message?: string }) => void;
}

export async function callTool(
  runtime: Runtime,
  name: string,
  args: Record<string, unknown>,
  options: CallOptions = {},
): Promise<CallToolResult> {
  const session = await connectInProcess(runtime);
  try {
    const { tools } = await session.client.listTools();
    checkArguments(findTool(tools, name), args);
    // A long generation may take minutes: the in-process client must not give up first.
    return (await session.client.callTool({ name, arguments: args }, undefined, {
      timeout: 60 * 60 * 1000,
      ...(options.onprogress ? { onprogress: options.onprogress } : {}),
    })) as CallToolResult;
  } finally {
    await session.close();
  }
}
