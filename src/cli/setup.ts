// `pixelwright setup <client>`: the exact entry each MCP client needs to start this server, printed, or merged into
// the client's own config file with --write (the file writing itself lives in workspace/client-config.ts).
// The entry runs this node on this copy's dist/cli.js by absolute path, from a clone and from an installed copy alike:
// never `npx` of a package that is not published. The API key is written only when passed explicitly with --env.

import { realpathSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve, win32 } from "node:path";
import { parseArgs } from "node:util";
import { problemSentence, readConfig } from "../config.js";
import { InputError } from "../errors.js";
import { writeStdout } from "../output.js";
import { type ConfigFormat, mergeServerEntry, type ServerEntry } from "../workspace/client-config.js";

export const CLIENTS = ["claude-desktop", "claude-code", "cursor", "vscode", "codex", "windsurf", "gemini"] as const;
export type ClientName = (typeof CLIENTS)[number];

export const SERVER_NAME = "pixelwright";

export interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
}

export interface Machine {
  home: string;
  platform: NodeJS.Platform;
  /** %APPDATA% on Windows. */
  appData?: string | undefined;
  /** $XDG_CONFIG_HOME on Linux (default ~/.config). */
  xdgConfigHome?: string | undefined;
  /** $CODEX_HOME (default ~/.codex). */
  codexHome?: string | undefined;
}

export function thisMachine(): Machine {
  const env = process.env;
  return {
    home: homedir(),
    platform: process.platform,
    appData: env.APPDATA || undefined,
    xdgConfigHome: env.XDG_CONFIG_HOME || undefined,
    codexHome: env.CODEX_HOME || undefined,
  };
}

/** How a client starts this server: this node on this copy's entry point, both by absolute path. */
export function launchFor(cliPath: string, env: Record<string, string>, nodePath: string): Launch {
  return { command: nodePath, args: [resolve(cliPath)], env };
}

/** The user-level config file each client reads on this OS. */
export function configPath(client: ClientName, machine: Machine): string {
  const { home, platform } = machine;
  const p = platform === "win32" ? win32.join : join;
  const appData = machine.appData ?? p(home, "AppData", "Roaming");
  const appDir = (name: string) =>
    platform === "darwin"
      ? join(home, "Library", "Application Support", name)
      : platform === "win32"
        ? p(appData, name)
        : join(machine.xdgConfigHome ?? join(home, ".config"), name);
  switch (client) {
    case "claude-desktop":
      return p(appDir("Claude"), "claude_desktop_config.json");
    case "claude-code":
      return p(home, ".claude.json");
    case "cursor":
      return p(home, ".cursor", "mcp.json");
    case "vscode":
      return p(appDir("Code"), "User", "mcp.json");
    case "codex":
      return p(machine.codexHome ?? p(home, ".codex"), "config.toml");
    case "windsurf":
      return p(home, ".codeium", "windsurf", "mcp_config.json");
    case "gemini":
      return p(home, ".gemini", "settings.json");
  }
}

export function formatOf(client: ClientName): ConfigFormat {
  if (client === "codex") return { kind: "toml", table: "mcp_servers" };
  return { kind: "json", container: client === "vscode" ? "servers" : "mcpServers" };
}

/** The entry as the client's file holds it. */
export function entryFor(client: ClientName, launch: Launch): ServerEntry {
  const base: ServerEntry = { command: launch.command, args: launch.args };
  const env = Object.keys(launch.env).length > 0 ? { env: launch.env } : {};
  if (client === "vscode" || client === "claude-code") return { type: "stdio", ...base, ...env };
  return { ...base, ...env };
}

/** Gemini CLI starts no MCP server, not even a user-level one, in a folder it does not trust. */
export const GEMINI_TRUST =
  "Gemini CLI starts MCP servers only in folders you trust: start `gemini` in the folder you work in and run `/permissions trust` there (or accept its trust prompt), else pixelwright shows as Disabled in `gemini mcp list`.";

const shellQuote = (s: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);

/** What `setup <client>` prints: the command or the file block, ready to paste. */
export function printableEntry(client: ClientName, launch: Launch): string {
  const entry = entryFor(client, launch);
  if (client === "claude-code") {
    const env = Object.entries(launch.env).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
    return ["claude", "mcp", "add", "--scope", "user", ...env, SERVER_NAME, "--", launch.command, ...launch.args]
      .map(shellQuote)
      .join(" ");
  }
  if (client === "codex") {
    const lines = [`[mcp_servers.${SERVER_NAME}]`, `command = ${JSON.stringify(launch.command)}`];
    lines.push(`args = [${launch.args.map((a) => JSON.stringify(a)).join(", ")}]`);
    const env = Object.entries(launch.env);
    if (env.length)
      lines.push("", `[mcp_servers.${SERVER_NAME}.env]`, ...env.map(([k, v]) => `${k} = ${JSON.stringify(v)}`));
    return lines.join("\n");
  }
  const container = (formatOf(client) as { container: string }).container;
  return JSON.stringify({ [container]: { [SERVER_NAME]: entry } }, null, 2);
}

function parseEnv(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0)
      throw new InputError(`--env takes NAME=VALUE (got '${pair}'), e.g. --env OPENAI_API_KEY=sk-...`, "env");
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  // The entry must start a server: a misspelt variable or a value the server cannot read is refused before writing.
  const { problems } = readConfig({ env });
  if (problems.length > 0) {
    throw new InputError(`--env: ${problems.map(problemSentence).join(" ")} Nothing was written.`, "env");
  }
  return env;
}

/** A misspelt PIXELWRIGHT_* variable in this shell does nothing here either: said, with the name it is close to. */
function shellNotes(env: NodeJS.ProcessEnv): string {
  const stray = readConfig({ env }).problems.filter((p) => p.key === null);
  return stray
    .map((p) => `\nNote: ${problemSentence(p)} (in this shell; the client's entry gets only what --env gives).`)
    .join("");
}

export const SETUP_USAGE = `Usage: pixelwright setup <client> [--write] [--env NAME=VALUE ...] [--config FILE]
  clients: ${CLIENTS.join(", ")}
  prints the entry that client needs to start this server
  --write            merge it into the client's config file (a backup of the previous file is kept)
  --env NAME=VALUE   put a variable in the entry's env (repeatable), e.g. --env OPENAI_API_KEY=sk-...
  --config FILE      write this file instead of the client's user config (e.g. a project's .cursor/mcp.json)`;

export interface SetupIo {
  cliPath: string;
  nodePath: string;
  machine: Machine;
  print: (text: string) => Promise<void>;
  /** The shell's environment (for notes on misspelt settings); process.env when not given. */
  env?: NodeJS.ProcessEnv;
}

const defaultIo = (): SetupIo => ({
  cliPath: process.argv[1] ? realpathSync(process.argv[1]) : "",
  nodePath: process.execPath,
  machine: thisMachine(),
  print: writeStdout,
});

/** Runs `setup` with the arguments after the word "setup"; returns the exit code. */
export async function runSetup(argv: string[], io: SetupIo = defaultIo()): Promise<number> {
  let parsed: ReturnType<typeof parseSetupArgs>;
  try {
    parsed = parseSetupArgs(argv);
  } catch (err) {
    throw new InputError(`${(err as Error).message}.\n${SETUP_USAGE}`, undefined, { cause: err });
  }
  const { values, positionals } = parsed;
  if (values.help) {
    await io.print(SETUP_USAGE);
    return 0;
  }
  const client = positionals[0] as ClientName | undefined;
  if (!client || !CLIENTS.includes(client) || positionals.length > 1) {
    throw new InputError(`${client ? `unknown client '${client}'` : "name a client"}.\n${SETUP_USAGE}`, "client");
  }
  const launch = launchFor(io.cliPath, parseEnv(values.env ?? []), io.nodePath);
  const path = values.config ? resolve(values.config) : configPath(client, io.machine);
  const keyNote =
    (launch.env.OPENAI_API_KEY
      ? ""
      : "\nNo API key is written: the server runs on the offline simulator until OPENAI_API_KEY is in its env (pass --env OPENAI_API_KEY=sk-... to write it).") +
    (client === "gemini" ? `\n${GEMINI_TRUST}` : "") +
    shellNotes(io.env ?? process.env);
  if (!values.write) {
    const where = client === "claude-code" ? "Run:" : `Add to ${path}:`;
    await io.print(`${where}\n${printableEntry(client, launch)}\n${keyNote}\nOr run again with --write to merge it.`);
    return 0;
  }
  const outcome = await mergeServerEntry(path, formatOf(client), SERVER_NAME, entryFor(client, launch));
  await io.print(
    outcome.changed
      ? `Wrote the ${SERVER_NAME} entry to ${path}${outcome.backup ? ` (previous file kept as ${outcome.backup})` : ""}. Restart ${client} to load it.${keyNote}`
      : `${path} already has this ${SERVER_NAME} entry; nothing changed.`,
  );
  return 0;
}

function parseSetupArgs(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      write: { type: "boolean" },
      env: { type: "string", multiple: true },
      config: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
    strict: true,
  });
}
