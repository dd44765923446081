// tools/list and tools/call as they go out. The McpServer registers the tools; this layer, installed after it, sends
// portable schemas (tools/portable.ts), results without null fields, declares task support for the tools that
// have it, and answers task-augmented calls from the task book (tools/tasks.ts).

import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  type ListToolsResult,
  McpError,
} from "@modelcontextprotocol/sdk/types.js";
import { InternalError } from "../errors.js";
import type { AnyTool, ToolExtra, ToolOutput } from "./define.js";
import { portableInputSchema, portableOutputSchema, withoutNulls } from "./portable.js";
import { supportsTasks, type TaskBook } from "./tasks.js";

type Handler = (request: unknown, extra: ToolExtra) => Promise<unknown>;

/**
 * The CallToolResult of a tool's output: one sentence and the JSON as text, the same JSON as structuredContent.
 * structuredContent keeps its null fields until the McpServer has checked it against the zod schema; `portable`
 * then leaves them out, as the text already does.
 */
export function callResult(out: ToolOutput<unknown>): CallToolResult {
  return {
    structuredContent: out.structured as Record<string, unknown>,
    content: [
      { type: "text", text: `${out.summary}\n${JSON.stringify(withoutNulls(out.structured))}` },
      ...(out.content ?? []),
    ],
  };
}

/** A result as sent: structuredContent without null fields (the portable output schemas make them optional). */
export function portable(result: CallToolResult): CallToolResult {
  return result.structuredContent ? { ...result, structuredContent: withoutNulls(result.structuredContent) } : result;
}

/** The handler the McpServer installed for a method (the SDK keeps no public getter for it). */
function installed(server: McpServer, method: string): Handler {
  const handlers = (server.server as unknown as { _requestHandlers?: Map<string, Handler> })._requestHandlers;
  const handler = handlers?.get(method);
  if (!handler) throw new InternalError(`the MCP SDK has no ${method} handler to wrap; check the SDK version`);
  return handler;
}

export const TASK_CAPABILITIES = { list: {}, cancel: {}, requests: { tools: { call: {} } } };

export function installToolCalls(server: McpServer, tools: AnyTool[], book: TaskBook, scope: string): void {
  const list = installed(server, "tools/list");
  const call = installed(server, "tools/call");
  const byName = new Map(tools.map((t) => [t.name, t]));

  server.server.setRequestHandler(ListToolsRequestSchema, async (request, extra) => {
    const result = (await list(request, extra)) as ListToolsResult;
    return {
      ...result,
      tools: result.tools.map((tool) => {
        const own = byName.get(tool.name);
        return {
          ...tool,
          inputSchema: portableInputSchema(tool.inputSchema) as typeof tool.inputSchema,
          ...(tool.outputSchema
            ? { outputSchema: portableOutputSchema(tool.outputSchema) as typeof tool.outputSchema }
            : {}),
          execution: { taskSupport: own && supportsTasks(own) ? "optional" : "forbidden" },
        };
      }),
    };
  });

  server.server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name, task } = request.params;
    if (!task) return portable((await call(request, extra)) as CallToolResult);
    const tool = byName.get(name);
    if (!tool || !supportsTasks(tool)) {
      throw new McpError(ErrorCode.InvalidParams, `${name} does not run as a task; call it without "task".`);
    }
    return book.create(scope, tool, request.params.arguments, task, extra);
  });
}
