// Merging one server entry into an MCP client's own configuration file (`pixelwright setup <client> --write`):
// read and parse it first (a file that does not parse is refused and left untouched), change only our entry, skip
// the write when nothing would change, keep a backup of the old file, and replace it atomically (temp + rename).

import { randomBytes } from "node:crypto";
import { copyFile, mkdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { ConfigError } from "../errors.js";

export type ServerEntry = Record<string, unknown>;

export interface MergeOutcome {
  path: string;
  changed: boolean;
  /** The copy of the previous file, when there was one and it changed. */
  backup: string | null;
}

/** Where a server entry lives: a JSON object under `container` (mcpServers, servers) or a TOML table. */
export type ConfigFormat = { kind: "json"; container: string } | { kind: "toml"; table: string };

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new ConfigError(`cannot read ${path}: ${(err as Error).message}. Fix its permissions and run setup again.`, {
      cause: err,
    });
  }
}

function refuse(path: string, err: unknown): never {
  const why = (err as Error).message.split("\n")[0];
  throw new ConfigError(
    `${path} does not parse (${why}); it was left untouched. Fix the file (or move it away) and run setup again, or add the entry printed by setup without --write.`,
    { cause: err },
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function mergeJson(path: string, text: string | null, container: string, name: string, entry: ServerEntry) {
  let doc: Record<string, unknown> = {};
  if (text !== null && text.trim() !== "") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      refuse(path, err);
    }
    if (!isPlainObject(parsed)) refuse(path, new Error("the top level is not a JSON object"));
    doc = parsed;
  }
  const servers = doc[container] ?? {};
  if (!isPlainObject(servers)) refuse(path, new Error(`"${container}" is not an object`));
  if (sameJson(servers[name], entry)) return null;
  return `${JSON.stringify({ ...doc, [container]: { ...servers, [name]: entry } }, null, 2)}\n`;
}

const tomlString = (s: string) => JSON.stringify(s); // JSON string escapes are valid TOML basic strings

function tomlValue(value: unknown): string {
  if (typeof value === "string") return tomlString(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(", ")}]`;
  throw new ConfigError("a server entry holds only strings, numbers, booleans and arrays of them.");
}

/** The TOML text of one table: scalar keys first, then its sub-tables (env). */
function tomlTable(table: string, entry: ServerEntry): string {
  const lines = [`[${table}]`];
  const subtables: string[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (isPlainObject(value)) {
      if (Object.keys(value).length === 0) continue;
      subtables.push(
        `[${table}.${key}]`,
        ...Object.entries(value).map(([k, v]) => `${tomlString(k)} = ${tomlValue(v)}`),
      );
    } else lines.push(`${key} = ${tomlValue(value)}`);
  }
  return [...lines, ...(subtables.length ? ["", ...subtables] : [])].join("\n");
}

function lookup(doc: Record<string, unknown>, dotted: string): unknown {
  return dotted.split(".").reduce<unknown>((node, key) => (isPlainObject(node) ? node[key] : undefined), doc);
}

/** Removes our table and its sub-tables (a header line up to the next header of another table), keeps the rest. */
function withoutTable(text: string, table: string): string {
  const out: string[] = [];
  let skipping = false;
  for (const line of text.split("\n")) {
    const header = line.match(/^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$/);
    if (header?.[1]) {
      const name = header[1].replace(/\s*\.\s*/g, ".").replace(/"/g, "");
      skipping = name === table || name.startsWith(`${table}.`);
    }
    if (!skipping) out.push(line);
  }
  return out.join("\n").replace(/\n{3,}/g, "\n\n");
}

function mergeToml(path: string, text: string | null, table: string, entry: ServerEntry) {
  const source = text ?? "";
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(source) as Record<string, unknown>;
  } catch (err) {
    refuse(path, err);
  }
  const wanted = Object.fromEntries(
    Object.entries(entry).filter(([, v]) => !(isPlainObject(v) && Object.keys(v).length === 0)),
  );
  if (sameJson(lookup(doc, table), wanted)) return null;
  const rest = withoutTable(source, table).trimEnd();
  const next = `${rest ? `${rest}\n\n` : ""}${tomlTable(table, entry)}\n`;
  // The splice must parse and hold exactly our entry; otherwise refuse rather than write a broken file.
  let merged: unknown;
  try {
    merged = lookup(parseToml(next) as Record<string, unknown>, table);
  } catch (err) {
    refuse(path, err);
  }
  if (!sameJson(merged, wanted)) refuse(path, { message: "the merged file would not hold exactly this entry" });
  return next;
}

async function replaceAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.pixelwright-${randomBytes(4).toString("hex")}`);
  const mode = await stat(path).then(
    (s) => s.mode & 0o777,
    () => 0o600,
  );
  try {
    await writeFile(temp, text, { flag: "wx", mode });
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw new ConfigError(`cannot write ${path}: ${(err as Error).message}. Check the folder's permissions.`, {
      cause: err,
    });
  }
}

/**
 * A config file nobody may write (mode 0444: made read-only on purpose, by its owner or a tool that manages it) is
 * never replaced: a rename would do it whatever the mode says.
 */
async function refuseReadOnly(path: string): Promise<void> {
  const mode = (await stat(path)).mode & 0o777;
  if ((mode & 0o222) !== 0) return;
  throw new ConfigError(
    `${path} is read-only (mode ${mode.toString(8).padStart(4, "0")}); it was left untouched. To let setup change it, make it writable (chmod u+w '${path}') and run setup again, or add the entry printed by setup without --write yourself.`,
  );
}

function backupName(path: string, now = new Date()): string {
  return `${path}.${now.toISOString().replace(/[:.]/g, "-")}.bak`;
}

/** Puts `entry` under `name` in the client's config file; everything else in the file is kept. */
export async function mergeServerEntry(
  path: string,
  format: ConfigFormat,
  name: string,
  entry: ServerEntry,
): Promise<MergeOutcome> {
  const text = await readIfExists(path);
  const next =
    format.kind === "json"
      ? mergeJson(path, text, format.container, name, entry)
      : mergeToml(path, text, `${format.table}.${name}`, entry);
  if (next === null) return { path, changed: false, backup: null };
  if (text !== null) await refuseReadOnly(path);
  let backup: string | null = null;
  if (text !== null) {
    backup = backupName(path);
    await copyFile(path, backup);
  }
  await replaceAtomically(path, next);
  return { path, changed: true, backup };
}
