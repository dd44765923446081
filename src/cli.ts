#!/usr/bin/env node
// The bin: read the command line, load the settings, run the one command asked for. Each command's body lives in
// cli/; this file only dispatches and turns a thrown error into one line and an exit code.

import { type CommandLine, parseCommandLine, portOf } from "./cli/args.js";
import { commandHelp, helpText } from "./cli/help.js";
import { runHttp } from "./cli/http.js";
import { readableLogStream } from "./cli/log-lines.js";
import { runSimulator } from "./cli/simulator.js";
import { type Config, loadConfig } from "./config.js";
import { ConfigError, PixelwrightError } from "./errors.js";
import { createLogger, type Logger, type LogLevel } from "./log.js";
import { writeStderr, writeStdout } from "./output.js";
import { createRuntime, type Role, type Runtime } from "./runtime.js";
import { registerSecret, registerUrlSecret } from "./secrets.js";
import { serveStdio } from "./transports/stdio.js";
import { VERSION } from "./version.js";

/** Exit code -1: the command keeps the process running (a server). */
const KEEP_RUNNING = -1;

function settings(line: CommandLine): Config {
  const config = loadConfig({ flags: line.flags });
  registerSecret(config.apiKey);
  registerSecret(config.httpToken);
  registerUrlSecret(config.redisUrl);
  return config;
}

/**
 * Servers log JSON for collectors; a person's command gets readable lines, unless --json asks for JSON. `levelOf`:
 * the level a one-shot command picks from the configured one.
 */
function loggerFor(line: CommandLine, config: Config, levelOf = (configured: LogLevel) => configured): Logger {
  const server = line.command === "stdio" || line.command === "http";
  const level = levelOf(config.logLevel as LogLevel);
  return createLogger(level, server || line.json ? 2 : readableLogStream());
}

/** Runs a one-shot command on a runtime that is closed afterwards (paid work goes to a detached runner). */
async function withRuntime(
  line: CommandLine,
  levelOf: (configured: LogLevel) => LogLevel,
  work: (runtime: Runtime) => Promise<number>,
): Promise<number> {
  const config = settings(line);
  const role: Role = "call";
  const runtime = await createRuntime(config, loggerFor(line, config, levelOf), { role });
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}

async function run(line: CommandLine): Promise<number> {
  switch (line.command) {
    case "stdio": {
      const config = settings(line);
      const logger = loggerFor(line, config);
      await serveStdio(await createRuntime(config, logger, { role: "stdio" }), logger);
      return KEEP_RUNNING;
    }
    // The in-process MCP client of `call` and `tools` loads only for them: serving never pays for it.
    case "call": {
      const { callArguments, callLogLevel, runCallCommand } = await import("./cli/call-command.js");
      const call = callArguments(line.rest);
      return withRuntime(
        line,
        (configured) => callLogLevel(configured, line.flags),
        (runtime) => runCallCommand(runtime, { ...call, json: line.json, quiet: line.quiet }),
      );
    }
    case "tools": {
      const { callLogLevel, runToolsCommand } = await import("./cli/call-command.js");
      // Listing the tools runs nothing: only errors, unless a level was asked for (as for a call at a terminal).
      return withRuntime(
        line,
        (configured) => callLogLevel(configured, line.flags, true),
        (runtime) => runToolsCommand(runtime, line.rest[0], line.json),
      );
    }
    case "doctor": {
      const { runDoctorCommand } = await import("./cli/doctor.js");
      return runDoctorCommand({ flags: line.flags, json: line.json, ...(line.host ? { host: line.host } : {}) });
    }
    case "http": {
      const config = settings(line);
      await runHttp(line, config, loggerFor(line, config));
      return KEEP_RUNNING;
    }
    case "gallery": {
      const { runGallery } = await import("./cli/gallery.js");
      const config = settings(line);
      await runGallery(portOf(line, 0), config, loggerFor(line, config));
      return KEEP_RUNNING;
    }
    case "runner": {
      // Started by pixelwright itself (runner.ts), detached: runs the workspace's paid work, exits when idle.
      const { runRunner } = await import("./cli/runner.js");
      const config = settings(line);
      return runRunner(config, loggerFor(line, config));
    }
    case "simulator": {
      const config = settings(line);
      await runSimulator(line, loggerFor(line, config));
      return KEEP_RUNNING;
    }
    case "setup": {
      // Reached only with a shared flag before it (pixelwright --json setup …): setup reads its own flags.
      const { runSetup } = await import("./cli/setup.js");
      return runSetup(line.rest);
    }
  }
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "setup") {
    // setup has flags of its own (--write, --env): it parses its command line itself.
    const { runSetup } = await import("./cli/setup.js");
    return runSetup(argv.slice(1));
  }
  const line = parseCommandLine(argv);
  if (line.help) {
    await writeStdout(line.named ? commandHelp(line.command) : helpText());
    return 0;
  }
  if (line.version) {
    await writeStdout(VERSION);
    return 0;
  }
  return run(line);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError) writeStderr(`pixelwright: configuration error: ${err.message}`);
    else if (err instanceof PixelwrightError) writeStderr(`pixelwright: ${err.message}`);
    else writeStderr(`pixelwright: unexpected error: ${(err as Error)?.stack ?? String(err)}`);
    process.exitCode = err instanceof PixelwrightError ? 2 : 1;
  },
);
