// The HTTP baseline: a minimal stateless MCP server on the v2 SDK (createMcpHandler, one tool), served by node:http
// through the few lines any Node user writes to hand a web-standard handler a request. Prints its URL on stderr.
import { createServer } from "node:http";
import { createMcpHandler, McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";

const handler = createMcpHandler(() => {
  const server = new McpServer({ name: "minimal", version: "0.0.0" });
  server.registerTool(
    "validate_size",
    { description: "Echo the size back.", inputSchema: z.object({ size: z.string() }) },
    async ({ size }) => ({ content: [{ type: "text", text: `${size} ok` }] }),
  );
  return server;
});

const http = createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
  const response = await handler.fetch(
    new Request(`http://${req.headers.host}${req.url}`, { method: req.method, headers, body }),
    { parsedBody: JSON.parse(body.toString("utf8")) },
  );
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
});
http.listen(0, "127.0.0.1", () => process.stderr.write(`listening on http://127.0.0.1:${http.address().port}/mcp\n`));
