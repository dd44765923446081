#!/usr/bin/env node
// A naive image MCP server, for the bytes-returned row: one tool that calls the SDK and returns the image inline
// as an MCP image block, the way many servers do. The bench measures what it actually sends over stdio. It imports
// the MCP SDK line the project depends on (PIXELWRIGHT_BENCH_SDK, as minimal-server.mjs).
import OpenAI from "openai";
import { z } from "zod";

const v2 = process.env.PIXELWRIGHT_BENCH_SDK === "v2";
const [{ McpServer }, { StdioServerTransport }] = await Promise.all([
  import(v2 ? "@modelcontextprotocol/server" : "@modelcontextprotocol/sdk/server/mcp.js"),
  import(v2 ? "@modelcontextprotocol/server/stdio" : "@modelcontextprotocol/sdk/server/stdio.js"),
]);

const openai = new OpenAI({ maxRetries: 0 });
const server = new McpServer({ name: "naive", version: "0.0.0" });
server.registerTool(
  "generate_image",
  { description: "Generate an image.", inputSchema: z.object({ prompt: z.string(), size: z.string() }) },
  async ({ prompt, size }) => {
    const response = await openai.images.generate({ model: "gpt-image-2", prompt, size, quality: "high" });
    return { content: [{ type: "image", mimeType: "image/png", data: response.data[0].b64_json }] };
  },
);
await server.connect(new StdioServerTransport());
