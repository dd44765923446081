// MCP over stdio. The SDK transport does not notice stdin closing, so this module ends the process itself when
// the client goes away, after closing the server (which lets running work shut down cleanly).

import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { Logger } from "../log.js";
import type { Runtime } from "../runtime.js";
import { createServer } from "../server.js";
import { STDIO_MAX_MESSAGE_BYTES } from "../tools/content.js";

export async function serveStdio(runtime: Runtime, logger: Logger): Promise<void> {
  const server = createServer(runtime, { maxMessageBytes: STDIO_MAX_MESSAGE_BYTES });
  const transport = new StdioServerTransport();
  let closing = false;
  const shutdown = async (reason: string) => {
    if (closing) return;
    closing = true;
    logger.info({ reason }, "shutting down");
    const force = setTimeout(() => process.exit(0), 1500);
    force.unref();
    try {
      await server.close();
      await runtime.close();
    } catch (err) {
      logger.warn({ err }, "error during shutdown");
    }
    process.exit(0);
  };
  process.stdin.on("end", () => void shutdown("stdin ended"));
  process.stdin.on("close", () => void shutdown("stdin closed"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  // Once the handshake is done (never before: `initialize` answers first), load what the first image call needs.
  const initialized = server.server.oninitialized;
  server.server.oninitialized = () => {
    initialized?.();
    setImmediate(() => void runtime.warm());
  };
  await server.connect(transport);
  logger.info({ workspace: runtime.config.workspace }, "pixelwright serving MCP on stdio");
}
