// `pixelwright gallery [--port N]`: serve the workspace gallery on loopback and print its URL (with this run's
// token) on stdout.

import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import { writeStderr, writeStdout } from "../output.js";
import { createRuntime } from "../runtime.js";
import { registerSecret } from "../secrets.js";
import { serveGallery } from "../transports/gallery-server.js";

export async function runGallery(port: number, config: Config, logger: Logger): Promise<void> {
  // The gallery runs no job: no worker, no simulator.
  const runtime = await createRuntime(config, logger, { role: "call" });
  const handle = await serveGallery(runtime, logger, port).catch(async (err: unknown) => {
    await runtime.close();
    throw err;
  });
  // The token is in the URL the person opens; keep it out of every log line.
  registerSecret(new URL(handle.url).searchParams.get("token") ?? undefined);
  writeStderr(`pixelwright gallery of ${runtime.workspace.root} (loopback only; Ctrl-C to stop). Open:`);
  await writeStdout(handle.url);
  const stop = () => void handle.close().then(() => runtime.close().then(() => process.exit(0)));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
