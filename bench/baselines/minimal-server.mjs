// The cold-start baseline: a minimal MCP server built on the SDK's McpServer with one tool, over stdio. It imports the
// SDK line the project depends on (the bench sets PIXELWRIGHT_BENCH_SDK: v1 is @modelcontextprotocol/sdk, v2 the
// split @modelcontextprotocol/server), so the baseline follows a migration of the server.
import { z } from "zod";

const v2 = process.env.PIXELWRIGHT_BENCH_SDK === "v2";
const [{ McpServer }, { StdioServerTransport }] = await Promise.all([
  import(v2 ? "@modelcontextprotocol/server" : "@modelcontextprotocol/sdk/server/mcp.js"),
  import(v2 ? "@modelcontextprotocol/server/stdio" : "@modelcontextprotocol/sdk/server/stdio.js"),
]);

const server = new McpServer({ name: "minimal", version: "0.0.0" });
server.registerTool(
  "echo",
  { description: "Echo the text back.", inputSchema: z.object({ text: z.string() }) },
  async ({ text }) => ({ content: [{ type: "text", text }] }),
);
await server.connect(new StdioServerTransport());
