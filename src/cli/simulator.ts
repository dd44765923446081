// `pixelwright simulator`: the offline OpenAI-compatible image API on its own, for other tools to point at.

import type { Logger } from "../log.js";
import { writeStderr } from "../output.js";
import { startStandaloneSimulator } from "../runtime.js";
import { type CommandLine, portOf } from "./args.js";

export async function runSimulator(line: CommandLine, logger: Logger): Promise<void> {
  const sim = await startStandaloneSimulator({ port: portOf(line, 8787), host: line.host ?? "127.0.0.1" });
  logger.debug({ url: sim.baseURL }, "offline simulator listening");
  writeStderr(`pixelwright simulator listening on ${sim.baseURL} (any bearer key; Ctrl-C to stop)`);
  const stop = () => void sim.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
