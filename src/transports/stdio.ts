// MCP over stdio. At the end of stdin the SDK transport closes itself and aborts the requests still in flight
// without answering them (the MCP stdio binding: a client that wants answers keeps stdin open until it has read
// them); this module then ends the process, which nothing else would. The end of stdin is how one-shot clients
// (scripts, the Inspector CLI) say goodbye; hosts then send SIGTERM and SIGKILL. Paid work does not run here but in a detached runner (runner.ts), so none of that
// reaches it: calls stop (a job not yet sent that only this caller waited for is cancelled), the process exits, and
// the runner finishes, saves and records what was sent; any later process collects it by job_id. With
// PIXELWRIGHT_RUNNER=in-process, sent jobs finish here on stdin end and SIGTERM aborts them. The SDK's serveStdio
// serves both protocol eras: the opening message (initialize or server/discover) pins the connection's era, and the
// factory builds the server for it.

import { serveStdio as serveStdioEntry } from "@modelcontextprotocol/server/stdio";
import type { Logger } from "../log.js";
import type { Runtime } from "../runtime.js";
import { createServer } from "../server.js";
import { STDIO_MAX_MESSAGE_BYTES } from "../tools/content.js";

/** How long after the handshake the warm-up starts: the host's first requests (tools/list) come before it. */
const WARM_AFTER_MS = 200;

export async function serveStdio(runtime: Runtime, logger: Logger): Promise<void> {
  const server = serveStdioEntry(
    ({ era }) => {
      const server = createServer(runtime, { era, maxMessageBytes: STDIO_MAX_MESSAGE_BYTES });
      // Load what the first image call needs once the handshake is done, not while it runs (compiling openai and
      // sharp, opening the job book or starting a runner would hold up the answer to tools/list, which hosts send
      // right behind the handshake): 2025-11-25 ends it with notifications/initialized; 2026-07-28 has none, so
      // there it is once the opening message is answered. A moment later, when the first requests are answered.
      const warm = () => setTimeout(() => void runtime.warm(), WARM_AFTER_MS).unref();
      if (era === "legacy") {
        const initialized = server.server.oninitialized;
        server.server.oninitialized = () => {
          initialized?.();
          warm();
        };
      } else {
        warm();
      }
      return server;
    },
    { onerror: (err) => logger.warn({ err }, "stdio transport error") },
  );
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
  let draining = false;
  const finishPaidThenExit = async (reason: string) => {
    if (closing || draining) return;
    draining = true;
    // With a detached runner (the default) nothing paid runs here: the runner finishes it whatever happens to us.
    const paid = runtime.worker?.sentHere() ?? 0;
    logger.info(
      { reason, paid_jobs: paid },
      paid > 0 ? "input ended: finishing the paid jobs already sent, then exiting" : "input ended",
    );
    try {
      await server.close();
      await runtime.drain();
    } catch (err) {
      logger.warn({ err }, "error while finishing jobs at the end of input");
    }
    await shutdown(reason);
  };
  process.stdin.on("end", () => void finishPaidThenExit("stdin ended"));
  process.stdin.on("close", () => void finishPaidThenExit("stdin closed"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  logger.info({ workspace: runtime.config.workspace }, "pixelwright serving MCP on stdio");
}
