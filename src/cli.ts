#!/usr/bin/env node
import { parseArgs } from "node:util";
import { callArguments, callLogLevel, EXIT_CODES_HELP, runCallCommand } from "./cli/call-command.js";
import { CONFIG_FLAGS, describeSettings, loadConfig } from "./config.js";
import { ConfigError, InputError, PixelwrightError } from "./errors.js";
import { createLogger, type LogLevel } from "./log.js";
import { writeStderr, writeStdout } from "./output.js";
import { createRuntime, startStandaloneSimulator } from "./runtime.js";
import { registerSecret, registerUrlSecret } from "./secrets.js";
import { serveStdio } from "./transports/stdio.js";
import { VERSION } from "./version.js";

const HELP = `pixelwright ${VERSION} — an MCP server for GPT image generation that checks sizes and verifies saved files

Usage:
  pixelwright [stdio]                  serve MCP over stdio (what MCP clients run)
  pixelwright call <tool> '<json>'     run one tool in-process: progress on stderr, the result on stdout
        [--json] [--quiet]             (--json: the structured result, the default when stdout is not a terminal;
                                        --quiet: no progress)
  pixelwright doctor [--json]          check the set-up (Node, sharp, configuration, workspace, key, clients)
  pixelwright http [--host H] [--port N]   serve MCP over Streamable HTTP at /mcp (default 127.0.0.1:8808)
  pixelwright gallery [--port N]       serve the workspace gallery on loopback and print its URL
  pixelwright simulator [--port N]     run the offline OpenAI-compatible image simulator (default port 8787)
  pixelwright setup <client> [--write] print (or merge into its config file) the entry for claude-desktop,
                                       claude-code, cursor, vscode, codex or windsurf; --env NAME=VALUE adds env
  pixelwright --help | --version

Examples:
  pixelwright call validate_size '{"size":"1920x1080"}'
  pixelwright call generate_image '{"prompt":"a lighthouse at dawn","size":"3840x2160"}'
  pixelwright call validate_size '{"size":"16:9(4K)","model":"gpt-image-2-pro"}'

Settings (flag, or environment variable; flags win):
${describeSettings()
  .map((s) => `  ${("flag" in s && s.flag ? `--${s.flag}` : "(env only)").padEnd(22)} ${s.env}`)
  .join("\n")}

${EXIT_CODES_HELP}

Logs go to stderr. With no OPENAI_API_KEY the server runs offline.
`;

function parseCli(argv: string[]) {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {
    help: { type: "boolean", short: "h" },
    version: { type: "boolean", short: "v" },
    port: { type: "string" },
    host: { type: "string" },
    json: { type: "boolean" },
    quiet: { type: "boolean", short: "q" },
  };
  for (const flag of CONFIG_FLAGS) {
    options[flag] = { type: flag === "offline" || flag === "allow-private-urls" ? "boolean" : "string" };
  }
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new InputError(`${(err as Error).message}. See pixelwright --help.`);
  }
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "setup") {
    const { runSetup } = await import("./cli/setup.js");
    return runSetup(argv.slice(1));
  }
  const { values, positionals } = parseCli(argv);
  if (values.help) {
    await writeStdout(HELP);
    return 0;
  }
  if (values.version) {
    await writeStdout(VERSION);
    return 0;
  }
  const [command = "stdio", ...rest] = positionals;
  const flags: Record<string, string | boolean> = {};
  for (const [key, value] of Object.entries(values)) {
    if (CONFIG_FLAGS.includes(key) && value !== undefined) flags[key] = value as string | boolean;
  }
  if (command === "doctor") {
    const { runDoctorCommand } = await import("./cli/doctor.js");
    const host = typeof values.host === "string" ? values.host : undefined;
    return runDoctorCommand({ flags, json: values.json === true, ...(host ? { host } : {}) });
  }
  const config = loadConfig({ flags });
  registerSecret(config.apiKey);
  registerSecret(config.httpToken);
  registerUrlSecret(config.redisUrl);
  const logger = createLogger(
    command === "call" ? callLogLevel(config.logLevel as LogLevel, flags) : (config.logLevel as LogLevel),
  );

  switch (command) {
    case "stdio": {
      const runtime = await createRuntime(config, logger);
      await serveStdio(runtime, logger);
      return -1; // keep running
    }
    case "call": {
      const call = callArguments(rest);
      const runtime = await createRuntime(config, logger);
      try {
        return await runCallCommand(runtime, { ...call, json: values.json === true, quiet: values.quiet === true });
      } finally {
        await runtime.close();
      }
    }
    case "http": {
      const { serveHttp } = await import("./transports/http.js");
      const port = Number(values.port ?? 8808);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError("--port must be 0-65535.");
      const host = typeof values.host === "string" ? values.host : "127.0.0.1";
      const { checkExposure } = await import("./transports/http.js");
      // Refuse before anything starts (no simulator, no workspace) when the bind would be open to the network.
      checkExposure({ host, port, token: config.httpToken });
      const runtime = await createRuntime(config, logger, { shared: true });
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
      return -1;
    }
    case "gallery": {
      const port = Number(values.port ?? 0);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError("--port must be 0-65535.");
      const { runGallery } = await import("./cli/gallery.js");
      await runGallery(config, logger, port);
      return -1;
    }
    case "simulator": {
      const port = Number(values.port ?? 8787);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError("--port must be 0-65535.");
      const sim = await startStandaloneSimulator({
        port,
        host: typeof values.host === "string" ? values.host : "127.0.0.1",
      });
      logger.info({ url: sim.baseURL }, "offline simulator listening");
      writeStderr(`pixelwright simulator listening on ${sim.baseURL} (any bearer key; Ctrl-C to stop)`);
      const stop = () => void sim.close().then(() => process.exit(0));
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
      return -1;
    }
    default:
      throw new InputError(`unknown command '${command}'. See pixelwright --help.`);
  }
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
