// `pixelwright --help`: the commands, examples, every setting's flag and variable, and the exit codes.

import { settingSources } from "../config.js";
import { VERSION } from "../version.js";
import type { Command } from "./args.js";
import { selfCommand } from "./self.js";

export const EXIT_CODES_HELP = `Exit codes:
  0  done: completed, verified, or any other answer (a job still running at the wait deadline is followed
     to its end: the call returns when the image is saved)
  1  failed: the result's status is "failed", or the tool refused the request (the reason is on stderr);
     for doctor: at least one check failed
  2  bad usage or configuration, nothing was sent (also: the HTTP port is already in use)`;

export function helpText(): string {
  const settings = settingSources()
    .map((s) => `  ${(s.flag ? `--${s.flag}` : "(env only)").padEnd(26)} ${s.env}`)
    .join("\n");
  const self = selfCommand();
  const runAs = self === "pixelwright" ? "" : `\nIn this copy \`pixelwright\` is: ${self}\n`;
  return `pixelwright ${VERSION} — an MCP server for GPT image generation that checks sizes and verifies saved files
${runAs}
Usage:
  pixelwright [stdio]                  serve MCP over stdio (what MCP clients run)
  pixelwright tools [<tool>] [--json]  list the tools, or one tool's arguments
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
  pixelwright tools generate_image
  pixelwright call validate_size '{"size":"1920x1080"}'
  pixelwright call generate_image '{"prompt":"a lighthouse at dawn","size":"3840x2160"}'

Settings (flag, or environment variable; flags win):
${settings}

${EXIT_CODES_HELP}

Logs go to stderr: readable lines, or JSON with --json and for the servers (stdio, http).
With no OPENAI_API_KEY the server runs offline.
`;
}

/** One command's usage, what it does, and every flag it takes. */
const COMMAND_HELP: Record<Command, { usage: string; does: string; flags: string[]; settings: boolean }> = {
  stdio: {
    usage: "pixelwright [stdio]",
    does: "serve MCP over stdio (what MCP clients run)",
    flags: [],
    settings: true,
  },
  call: {
    usage: "pixelwright call <tool> '<json>' [--json] [--quiet]",
    does: "run one tool in-process: progress on stderr, the result on stdout",
    flags: [
      "--json    the structured result (the default when stdout is not a terminal), and JSON log lines",
      "--quiet   no progress on stderr (-q)",
    ],
    settings: true,
  },
  tools: {
    usage: "pixelwright tools [<tool>] [--json]",
    does: "list the tools, or one tool's arguments from its schema",
    flags: ["--json    the tool (or the list) exactly as tools/list sends it"],
    settings: true,
  },
  doctor: {
    usage: "pixelwright doctor [--json] [--host H]",
    does: "check the set-up for free: Node, sharp, configuration, workspace and job book, key, HTTP, clients",
    flags: ["--json    the checks as data", "--host H  the address `pixelwright http` would bind, for the HTTP checks"],
    settings: true,
  },
  http: {
    usage: "pixelwright http [--host H] [--port N]",
    does: "serve MCP over Streamable HTTP at /mcp",
    flags: ["--host H  the address to bind (default 127.0.0.1)", "--port N  the port (default 8808)"],
    settings: true,
  },
  gallery: {
    usage: "pixelwright gallery [--port N]",
    does: "serve the workspace gallery on loopback and print its URL",
    flags: ["--port N  the port (default: any free one)"],
    settings: true,
  },
  simulator: {
    usage: "pixelwright simulator [--host H] [--port N]",
    does: "run the offline OpenAI-compatible image simulator",
    flags: ["--host H  the address to bind (default 127.0.0.1)", "--port N  the port (default 8787)"],
    settings: false,
  },
  setup: {
    usage: "pixelwright setup <client> [--write] [--env NAME=VALUE ...] [--config FILE]",
    does: "print (or merge into its config file) the entry an MCP client needs to start this server",
    flags: [],
    settings: false,
  },
  runner: {
    usage: "pixelwright runner",
    does: "the detached runner pixelwright starts itself for paid work (not for people to run)",
    flags: [],
    settings: true,
  },
};

export function commandHelp(command: Command): string {
  const help = COMMAND_HELP[command];
  const lines = [`Usage: ${help.usage}`, `  ${help.does}`];
  if (help.flags.length > 0) lines.push("", "Flags:", ...help.flags.map((f) => `  ${f}`));
  if (help.settings)
    lines.push("", `It also takes every setting's flag (or variable): ${selfCommand()} --help lists them.`);
  return `${lines.join("\n")}\n`;
}
