// The MCP client configurations on this machine that name pixelwright (Claude Desktop, Claude Code, Cursor, VS Code,
// Windsurf, Codex, Gemini CLI), and whether each one's command still exists and starts: it is run with --version.

import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { access, readFile } from "node:fs/promises";
import { delimiter, isAbsolute, join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { selfCommand } from "./self.js";
import { type ClientName, configPath } from "./setup.js";

export interface ClientEntry {
  client: string;
  /** The `pixelwright setup` client name that rewrites its file, when there is one. */
  setup: ClientName | null;
  /** The config file it was found in. */
  file: string;
  /** The server's name in that file. */
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
}

export interface ClientProbe {
  entry: ClientEntry;
  ok: boolean;
  /** What happened: "starts (pixelwright 0.1.0)", or what went wrong. */
  detail: string;
  /** What to change, when it failed. */
  fix: string | null;
  /** The version it printed, when it started. */
  version: string | null;
}

interface ConfigLocation {
  client: string;
  /** The `pixelwright setup` name that rewrites this file, for user-level files. */
  setup: ClientName | null;
  file: string;
  /** Where the servers sit in the file: a list of key paths, each giving a { name: { command, args, env } } map. */
  format: "json" | "codex-toml";
  keys: string[][];
}

export interface SearchPlaces {
  home: string;
  cwd: string;
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
}

/** Every place a supported client keeps its MCP servers, for this platform: the files `pixelwright setup` writes,
 * and the project files and settings where users put them by hand. */
export function configLocations({ home, cwd, platform, env }: SearchPlaces): ConfigLocation[] {
  const machine = {
    home,
    platform,
    appData: env.APPDATA || undefined,
    xdgConfigHome: env.XDG_CONFIG_HOME || undefined,
    codexHome: env.CODEX_HOME || undefined,
  };
  const user = (client: string, setup: ClientName, keys: string[][] = [["mcpServers"]]): ConfigLocation => ({
    client,
    setup,
    file: configPath(setup, machine),
    format: setup === "codex" ? "codex-toml" : "json",
    keys: setup === "codex" ? [["mcp_servers"]] : keys,
  });
  const project = (client: string, file: string, keys: string[][]): ConfigLocation => ({
    client,
    setup: null,
    file,
    format: "json",
    keys,
  });
  const vscodeSettings = join(configPath("vscode", machine), "..", "settings.json");
  return [
    user("Claude Desktop", "claude-desktop"),
    user("Claude Code", "claude-code", [["mcpServers"], ["projects", "*", "mcpServers"]]),
    project("Claude Code (project)", join(cwd, ".mcp.json"), [["mcpServers"]]),
    user("Cursor", "cursor"),
    project("Cursor (project)", join(cwd, ".cursor", "mcp.json"), [["mcpServers"]]),
    user("VS Code", "vscode", [["servers"]]),
    project("VS Code", vscodeSettings, [["mcp", "servers"]]),
    project("VS Code (project)", join(cwd, ".vscode", "mcp.json"), [["servers"]]),
    user("Windsurf", "windsurf"),
    user("Codex", "codex"),
    user("Gemini CLI", "gemini"),
  ];
}

/** JSON with comments and trailing commas (VS Code's settings.json) read as JSON. */
export function parseJsonc(text: string): unknown {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inString) {
      out += c;
      if (c === "\\") out += text[++i] ?? "";
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (c === "/" && text[i + 1] === "*") {
      i = text.indexOf("*/", i + 2);
      if (i === -1) break;
      i++;
    } else out += c;
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, "$1"));
}

function at(value: unknown, path: string[]): unknown[] {
  if (path.length === 0) return [value];
  if (typeof value !== "object" || value === null) return [];
  const [head, ...rest] = path as [string, ...string[]];
  const record = value as Record<string, unknown>;
  if (head === "*") return Object.values(record).flatMap((v) => at(v, rest));
  return at(record[head], rest);
}

function namesPixelwright(name: string, command: string, args: string[]): boolean {
  return [name, command, ...args].some((s) => /pixelwright/i.test(s));
}

function toEntry(location: ConfigLocation, name: string, server: unknown): ClientEntry | null {
  if (typeof server !== "object" || server === null) return null;
  const s = server as { command?: unknown; args?: unknown; env?: unknown };
  if (typeof s.command !== "string") return null;
  const args = Array.isArray(s.args) ? s.args.filter((a): a is string => typeof a === "string") : [];
  if (!namesPixelwright(name, s.command, args)) return null;
  const env: Record<string, string> = {};
  if (typeof s.env === "object" && s.env !== null) {
    for (const [k, v] of Object.entries(s.env)) if (typeof v === "string") env[k] = v;
  }
  return { client: location.client, setup: location.setup, file: location.file, name, command: s.command, args, env };
}

/** Every config entry on this machine that names pixelwright; unreadable or malformed files are reported. */
export async function findClientEntries(
  places: SearchPlaces,
): Promise<{ entries: ClientEntry[]; unreadable: Array<{ file: string; client: string; reason: string }> }> {
  const entries: ClientEntry[] = [];
  const unreadable: Array<{ file: string; client: string; reason: string }> = [];
  for (const location of configLocations(places)) {
    let text: string;
    try {
      text = await readFile(location.file, "utf8");
    } catch {
      continue;
    }
    if (!/pixelwright/i.test(text)) continue;
    try {
      const parsed = location.format === "codex-toml" ? parseToml(text) : parseJsonc(text);
      for (const path of location.keys) {
        for (const map of at(parsed, path)) {
          if (typeof map !== "object" || map === null) continue;
          for (const [name, server] of Object.entries(map)) {
            const entry = toEntry(location, name, server);
            if (entry) entries.push(entry);
          }
        }
      }
    } catch (err) {
      unreadable.push({ file: location.file, client: location.client, reason: (err as Error).message });
    }
  }
  return { entries, unreadable };
}

/** The full path of a command as the shell would find it, or null. */
export async function resolveCommand(command: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform) {
  const exts = platform === "win32" ? (env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";").concat("") : [""];
  const mode = platform === "win32" ? constants.F_OK : constants.X_OK;
  const candidates =
    isAbsolute(command) || command.includes("/") || command.includes("\\")
      ? [command]
      : (env.PATH ?? "")
          .split(delimiter)
          .filter(Boolean)
          .map((dir) => join(dir, command));
  for (const candidate of candidates) {
    for (const ext of exts) {
      const ok = await access(candidate + ext, mode).then(
        () => true,
        () => false,
      );
      if (ok) return candidate + ext;
    }
  }
  return null;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number) {
  return new Promise<{ code: number | null; out: string; timedOut: boolean; error: string | null }>((resolve) => {
    let out = "";
    let settled = false;
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"], shell: false });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      finish(null, true, null);
    }, timeoutMs);
    const finish = (code: number | null, timedOut: boolean, error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ code, out, timedOut, error });
    };
    const collect = (chunk: Buffer) => {
      if (out.length < 8192) out += chunk.toString();
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", (err) => finish(null, false, err.message));
    child.on("close", (code) => finish(code, false, null));
  });
}

const fixFor = (entry: ClientEntry) =>
  entry.setup && entry.name === "pixelwright"
    ? `run ${selfCommand()} setup ${entry.setup} --write (from the copy you want it to start), then restart ${entry.client}`
    : `edit "${entry.name}" in ${entry.file}: "command": the absolute path of node, "args": [the absolute path of a clone's dist/cli.js] (${selfCommand()} setup prints them), then restart ${entry.client.replace(/ \(project\)$/, "")}`;

/** Does the entry's command exist, and does it start? (Runs it with --version, within timeoutMs.) */
export async function probeClient(
  entry: ClientEntry,
  options: { env: NodeJS.ProcessEnv; platform: NodeJS.Platform; timeoutMs: number },
): Promise<ClientProbe> {
  const env = { ...options.env, ...entry.env };
  const shown = [entry.command, ...entry.args].join(" ");
  const fail = (detail: string): ClientProbe => ({ entry, ok: false, detail, fix: fixFor(entry), version: null });
  const resolved = await resolveCommand(entry.command, env, options.platform);
  if (!resolved)
    return fail(`the command '${entry.command}' does not exist${isAbsolute(entry.command) ? "" : " on PATH"}`);
  for (const arg of entry.args) {
    if (isAbsolute(arg) && /\.(c|m)?js$/.test(arg)) {
      const exists = await access(arg).then(
        () => true,
        () => false,
      );
      if (!exists) return fail(`${arg} does not exist (a stale path: moved, rebuilt elsewhere or uninstalled)`);
    }
  }
  const result = await run(resolved, [...entry.args, "--version"], env, options.timeoutMs);
  if (result.error) return fail(`'${shown}' cannot start: ${result.error}`);
  if (result.timedOut)
    return fail(`'${shown} --version' did not answer within ${Math.round(options.timeoutMs / 1000)} s`);
  const firstLine = result.out.trim().split("\n")[0]?.slice(0, 200) ?? "";
  // npm answers E404 for a package it does not have: npx cannot fetch pixelwright until it is published.
  if (result.code !== 0 && /\bE404\b/.test(result.out)) {
    return fail(`'${shown}' cannot start: pixelwright is not published on npm yet (npm answered E404)`);
  }
  if (result.code !== 0) return fail(`'${shown} --version' exits ${result.code}: ${firstLine || "no output"}`);
  const version = /\b\d+\.\d+\.\d+\S*/.exec(firstLine)?.[0] ?? null;
  return { entry, ok: true, detail: `'${shown}' starts (pixelwright ${version ?? firstLine})`, fix: null, version };
}
