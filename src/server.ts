import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { toToolError } from "./errors.js";
import type { Logger } from "./log.js";
import type { Runtime } from "./runtime.js";
import { type AnyTool, KIND_ANNOTATIONS, type ToolExtra } from "./tools/define.js";
import { allTools } from "./tools/index.js";
import { VERSION } from "./version.js";

export const INSTRUCTIONS = [
  "Call validate_size first whenever a size is in doubt: it is free, lists every broken rule, and suggests valid sizes (3840x2160 is the largest 16:9 size and is experimental).",
  "Sizes are set only by the size argument, never by the prompt; unreadable or invalid sizes are refused before any paid call.",
  "Every result states the measured size in its first sentence, so report that sentence to the user rather than the size you asked for.",
].join(" ");

function register(server: McpServer, tool: AnyTool, logger: Logger): void {
  server.registerTool(
    tool.name,
    {
      title: tool.title,
      description: tool.description,
      inputSchema: tool.input,
      outputSchema: tool.output,
      annotations: { title: tool.title, ...KIND_ANNOTATIONS[tool.kind] },
    },
    async (args: Record<string, unknown>, extra: ToolExtra): Promise<CallToolResult> => {
      try {
        const out = await tool.handler(args, extra);
        return {
          structuredContent: out.structured,
          content: [
            { type: "text", text: `${out.summary}\n${JSON.stringify(out.structured)}` },
            ...(out.content ?? []),
          ],
        };
      } catch (err) {
        return toToolError(err, logger);
      }
    },
  );
}

/** One McpServer per connection, all sharing the process-wide runtime. */
export function createServer(runtime: Runtime): McpServer {
  const server = new McpServer(
    { name: "pixelwright", title: "pixelwright", version: VERSION },
    { instructions: INSTRUCTIONS, capabilities: { logging: {} } },
  );
  for (const tool of allTools(runtime)) register(server, tool, runtime.logger);
  return server;
}
