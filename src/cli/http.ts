// `pixelwright http`: MCP over Streamable HTTP until SIGTERM/SIGINT, then in-flight calls get 10 s to answer.

import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import { writeStderr } from "../output.js";
import { loadRedis } from "../redis-load.js";
import { createRuntime } from "../runtime.js";
import { type CommandLine, portOf } from "./args.js";

export async function runHttp(line: CommandLine, config: Config, logger: Logger): Promise<void> {
  const { checkExposure, serveHttp } = await import("../transports/http.js");
  const port = portOf(line, 8808);
  const host = line.host ?? "127.0.0.1";
  // Refuse before anything starts (no simulator, no workspace) when the bind would be open to the network, or when
  // replicas are asked for without the optional Redis packages.
  checkExposure({ host, port, token: config.httpToken });
  if (config.redisUrl) await loadRedis();
  const runtime = await createRuntime(config, logger, { role: "http" });
  const handle = await serveHttp(runtime, logger, {
    host,
    port,
    token: config.httpToken,
    allowedHosts: config.httpAllowedHosts,
    allowedOrigins: config.httpAllowedOrigins,
  }).catch(async (err: unknown) => {
    // A port in use (or any failure to listen): stop the simulator so the process can exit with the one line.
    await runtime.close();
    throw err;
  });
  writeStderr(`pixelwright listening on ${handle.url}${config.httpToken ? " (bearer token required)" : ""}`);
  writeStderr(
    `gallery: ${handle.url.replace(/\/mcp$/, "/gallery")}${config.httpToken ? "?token=<PIXELWRIGHT_HTTP_TOKEN>" : ""}`,
  );
  void runtime.warm();
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping: no new requests; in-flight calls get 10 s to answer");
    const force = setTimeout(() => process.exit(0), 15_000);
    force.unref();
    void handle
      .close(10_000)
      .then(() => runtime.close())
      .then(() => process.exit(0));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}
