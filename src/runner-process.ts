// The detached runner's own entry point (dist/runner-main.js, bundled): only what running jobs needs — no MCP
// server, no tools, no client — so the second process a stdio session costs is as small as it can be. Its settings
// come from the environment its starter gave it (config-env.ts); its log is its stderr, a file in the workspace.

import { runRunner } from "./cli/runner.js";
import { loadConfig } from "./config.js";
import { PixelwrightError } from "./errors.js";
import { createLogger, type LogLevel } from "./log.js";
import { writeStderr } from "./output.js";
import { registerSecret, registerUrlSecret } from "./secrets.js";

async function main(): Promise<number> {
  const config = loadConfig();
  registerSecret(config.apiKey);
  registerSecret(config.httpToken);
  registerUrlSecret(config.redisUrl);
  return runRunner(config, createLogger(config.logLevel as LogLevel));
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    writeStderr(`pixelwright runner: ${err instanceof PixelwrightError ? err.message : String(err)}`);
    process.exitCode = err instanceof PixelwrightError ? 2 : 1;
  },
);
