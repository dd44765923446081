// `pixelwright --help`: the commands, examples, every setting's flag and variable, and the exit codes.

import { settingSources } from "../config.js";
import { VERSION } from "../version.js";

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
  return `pixelwright ${VERSION} — an MCP server for GPT image generation that checks sizes and verifies saved files

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
