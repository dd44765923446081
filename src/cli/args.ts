// The command line: the commands, the flags (the CLI's own and one per setting), and a sentence with the closest
// known name for anything misspelt. Nothing here starts work.

import { parseArgs } from "node:util";
import { CONFIG_FLAGS, settingSources } from "../config.js";
import { closest, didYouMean } from "../contract/suggest.js";
import { InputError } from "../errors.js";

export const COMMANDS = [
  "stdio",
  "call",
  "tools",
  "doctor",
  "http",
  "gallery",
  "simulator",
  "setup",
  "runner",
] as const;
export type Command = (typeof COMMANDS)[number];

type Option = { type: "string" | "boolean"; short?: string };
const OWN: Record<string, Option> = {
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
  port: { type: "string" },
  host: { type: "string" },
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
};

function options(): Record<string, Option> {
  const all = { ...OWN };
  for (const s of settingSources()) if (s.flag) all[s.flag] = { type: s.switch ? "boolean" : "string" };
  return all;
}

export interface CommandLine {
  command: Command;
  /** The positionals after the command. */
  rest: string[];
  help: boolean;
  /** The command was named (`pixelwright call --help` asks for that command's help, `pixelwright --help` for all). */
  named: boolean;
  version: boolean;
  json: boolean;
  quiet: boolean;
  port: string | undefined;
  host: string | undefined;
  /** The settings given as flags, by flag name. */
  flags: Record<string, string | boolean>;
}

/** node:util's refusal in one sentence, with the known flag closest to an unknown one. */
function explain(err: Error & { code?: string }, known: string[]): InputError {
  const given = /'(-{1,2}[^'\s=]+)/.exec(err.message)?.[1];
  if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && given) {
    const match = closest(given.replace(/^-+/, ""), known);
    const hint = match ? ` Did you mean '--${match}'?` : "";
    return new InputError(`unknown flag '${given}'.${hint} See pixelwright --help.`);
  }
  const first = err.message.split(". ")[0] ?? err.message;
  return new InputError(`${first}. See pixelwright --help.`);
}

export function parseCommandLine(argv: string[]): CommandLine {
  const all = options();
  let parsed: ReturnType<typeof parseArgs<{ options: typeof all; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: all, allowPositionals: true, strict: true });
  } catch (err) {
    throw explain(err as Error, Object.keys(all));
  }
  const { values, positionals } = parsed;
  const [name = "stdio", ...rest] = positionals;
  if (!(COMMANDS as readonly string[]).includes(name)) {
    throw new InputError(`unknown command '${name}'.${didYouMean(name, COMMANDS)} See pixelwright --help.`);
  }
  const flags: Record<string, string | boolean> = {};
  for (const [key, value] of Object.entries(values)) {
    if (CONFIG_FLAGS.includes(key) && value !== undefined) flags[key] = value as string | boolean;
  }
  const text = (v: unknown) => (typeof v === "string" ? v : undefined);
  return {
    command: name as Command,
    rest,
    help: values.help === true,
    named: positionals.length > 0,
    version: values.version === true,
    json: values.json === true,
    quiet: values.quiet === true,
    port: text(values.port),
    host: text(values.host),
    flags,
  };
}

/** --port as a number, or a sentence saying what it takes. */
export function portOf(line: CommandLine, fallback: number): number {
  const port = line.port === undefined ? fallback : Number(line.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InputError(`--port takes a whole number from 0 to 65535, not '${line.port}'.`);
  }
  return port;
}
