// `pixelwright call <tool> <json>`: run one tool in-process through a real MCP client over an in-memory transport,
// so the CLI exercises exactly the code path an agent does.

import { type CallToolResult, Client, InMemoryTransport, type Tool } from "@modelcontextprotocol/client";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { didYouMean } from "../contract/suggest.js";
import { InputError } from "../errors.js";
import type { Runtime } from "../runtime.js";
import { createServer } from "../server.js";
import { VERSION } from "../version.js";
import { selfCommand } from "./self.js";

export interface InProcessClient {
  client: Client;
  close(): Promise<void>;
}

export interface InProcessOptions {
  /** The protocol era to speak: 2025-11-25 (legacy, the default) or 2026-07-28 (modern). */
  era?: "legacy" | "modern";
  /** Client options (capabilities, e.g. elicitation) for tests that play a host. */
  client?: ConstructorParameters<typeof Client>[1];
}

/** A real MCP client connected in-process, through the same entry the stdio server uses (serveStdio). */
export async function connectInProcess(runtime: Runtime, options: InProcessOptions = {}): Promise<InProcessClient> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const era = options.era ?? "legacy";
  const served = serveStdio(({ era: pinned }) => createServer(runtime, { era: pinned }), { transport: serverSide });
  const client = new Client(
    { name: "pixelwright-cli", version: VERSION },
    { ...options.client, ...(era === "modern" ? { versionNegotiation: { mode: { pin: "2026-07-28" } } } : {}) },
  );
  await client.connect(clientSide);
  return {
    client,
    async close() {
      await client.close();
      await served.close();
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
      `${tool.name} takes no argument '${key}'.${didYouMean(key, known)} ${selfCommand()} tools ${tool.name} lists them.`,
      key,
    );
  }
}

export interface CallOptions {
  /** Receives the server's progress notifications (the client then sends a progress token with the call). */
  onprogress?: (update: { progress: number; total?: number; message?: string }) => void;
  /** Called once the tool and its argument names passed their checks, right before the call is sent. */
  onChecked?: () => void;
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
    options.onChecked?.();
    // A long generation may take minutes: the in-process client must not give up first.
    return await session.client.callTool(
      { name, arguments: args },
      {
        timeout: 60 * 60 * 1000,
        ...(options.onprogress ? { onprogress: options.onprogress } : {}),
      },
    );
  } finally {
    await session.close();
  }
}
