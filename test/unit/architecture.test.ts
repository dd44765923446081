// The house rules of ARCHITECTURE.md, checked on the source itself (the way Playwright checks its DEPS.list):
// which floor may import what, who may touch the network SDK, the image library and the disk, and how big a room
// may grow. A rule that matters is a test, not a sentence.

import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const SRC = join(ROOT, "src");

interface SourceFile {
  /** Path relative to src/, with forward slashes. */
  path: string;
  text: string;
  /** Every module specifier it imports or re-exports, static or dynamic. */
  imports: string[];
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return walk(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

const IMPORT =
  /(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|import\s+["']([^"']+)["']/g;

function readSources(dir = SRC): SourceFile[] {
  return walk(dir).map((full) => {
    const text = readFileSync(full, "utf8");
    const imports = [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2] ?? m[3]) as string);
    return { path: relative(dir, full).split("\\").join("/"), text, imports };
  });
}

/** The floor of a file: its folder under src/, or the file itself for the root modules. */
function floor(path: string): string {
  const slash = path.indexOf("/");
  return slash === -1 ? path.replace(/\.ts$/, "") : path.slice(0, slash);
}

/** Where a relative import lands, as a path relative to src/. */
function target(from: string, specifier: string): string | null {
  if (!specifier.startsWith(".")) return null;
  const parts = from.split("/").slice(0, -1);
  for (const part of specifier.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/").replace(/\.js$/, ".ts");
}

const FS_WRITES =
  /\b(writeFile|writeFileSync|appendFile|appendFileSync|rename|renameSync|link|linkSync|unlink|unlinkSync|mkdir|mkdirSync|mkdtemp|rm|rmSync|rmdir|copyFile|cp|createWriteStream|symlink|truncate|chmod|utimes)\b/;

/** `import * as fs`, `import fs`, `import fs, {…}` or `import("node:fs")`: what is used cannot be seen. */
const FS_WHOLE =
  /import\s+(?!type\b)(?:\*\s*as\s+\w+|\w+\s*(?:,\s*\{[^}]*\})?)\s+from\s*["']node:fs(?:\/promises)?["']|import\(\s*["']node:fs(?:\/promises)?["']\s*\)/;
/** `throw new X(` and `reject(new X(`: the class of what is thrown. */
const THROWN = /(?:\bthrow|\breject\()\s*new\s+([A-Za-z_$][\w$]*)/g;
/** Classes thrown where a library requires its own, named with why. */
const BOUNDARY_ADAPTERS: Record<string, string> = {
  ProtocolError: "the MCP SDK (v2) answers a request handler's ProtocolError as that JSON-RPC error",
  ResourceNotFoundError: "the MCP SDK's ProtocolError for resources/read of an unknown URI (-32602 with the uri)",
  MissingRequiredClientCapabilityError: "the MCP SDK's ProtocolError for -32021, answered HTTP 400 (the Tasks gate)",
};
const ERROR_CLASSES = new Set(
  [...readFileSync(join(SRC, "errors.ts"), "utf8").matchAll(/^export (?:abstract )?class (\w+)/gm)].map((m) => m[1]),
);

/** Floors and the floors they must never import (the arrows point down: tools → usecases → engines → contract). */
const FORBIDDEN: Record<string, readonly string[]> = {
  contract: ["upstream", "jobs", "usecases", "workspace", "imaging", "tools", "transports", "simulator", "server"],
  upstream: ["jobs", "usecases", "workspace", "imaging", "tools", "transports", "server", "runtime"],
  imaging: ["upstream", "jobs", "usecases", "workspace", "tools", "transports", "server", "runtime"],
  workspace: ["upstream", "jobs", "usecases", "imaging", "tools", "transports", "server", "runtime"],
  jobs: ["upstream", "usecases", "workspace", "imaging", "tools", "transports", "server", "runtime"],
  usecases: ["tools", "transports", "server", "runtime", "cli"],
  tools: ["transports", "cli", "simulator"],
};

interface Breach {
  file: string;
  rule: string;
}

function houseRuleBreaches(files: SourceFile[]): Breach[] {
  const out: Breach[] = [];
  const breach = (file: string, rule: string) => out.push({ file, rule });
  for (const file of files) {
    const here = floor(file.path);
    for (const spec of file.imports) {
      if ((spec === "openai" || spec.startsWith("openai/")) && here !== "upstream")
        breach(file.path, `imports ${spec}: only upstream/ talks to the OpenAI SDK`);
      if (spec === "sharp" && here !== "imaging") breach(file.path, "imports sharp: only imaging/ runs sharp");
      if (spec === "ioredis" && !/^jobs\/redis(-[a-z]+)?\.ts$/.test(file.path))
        breach(file.path, `imports ${spec}: only jobs/redis*.ts (the Redis job book) talks to Redis`);
      if (spec === "node:sqlite" && file.path !== "jobs/sqlite-db.ts")
        breach(file.path, `imports ${spec}: only jobs/sqlite-db.ts opens the SQLite job book`);
      const landed = target(file.path, spec);
      const there = landed ? floor(landed) : null;
      if (there === "simulator" && here !== "simulator" && file.path !== "runtime.ts")
        breach(file.path, `imports ${spec}: production code reaches the simulator only through runtime.ts`);
      if (there && there !== here && FORBIDDEN[here]?.includes(there))
        breach(file.path, `imports ${spec}: ${here}/ must not import ${there}/`);
      if (here === "contract" && !landed && spec !== "zod")
        breach(file.path, `imports ${spec}: contract/ is pure (zod and its own modules only)`);
      if (here === "contract" && there && there !== "contract" && landed !== "errors.ts")
        breach(file.path, `imports ${spec}: contract/ imports only contract/ and errors.ts`);
    }
    // The default (no Redis) server never loads ioredis: the Redis book is imported only with import().
    if (
      !/^jobs\/redis(-[a-z]+)?\.ts$/.test(file.path) &&
      /^import\s+(?!type\b)[^;]*from\s*["'][./]*jobs\/redis(-[a-z]+)?\.js["']/m.test(file.text)
    )
      breach(file.path, "imports jobs/redis*.ts statically: Redis loads lazily, only with PIXELWRIGHT_REDIS_URL");
    const fsImport = file.text.match(/import\s*\{([^}]*)\}\s*from\s*["']node:fs(?:\/promises)?["']/g) ?? [];
    if (here !== "workspace" && fsImport.some((line) => FS_WRITES.test(line)))
      breach(file.path, "writes files: only workspace/ writes to disk");
    if (file.path !== "errors.ts" && /class\s+\w+\s+extends\s+Error\b/.test(file.text))
      breach(file.path, "extends Error: every error class lives in errors.ts");
    if (here !== "workspace" && FS_WHOLE.test(file.text))
      breach(file.path, "imports node:fs whole (namespace, default or import()): import what it uses by name");
    if (!file.path.startsWith("ui/web/")) {
      for (const [, name = ""] of file.text.matchAll(THROWN)) {
        if (!ERROR_CLASSES.has(name) && !Object.hasOwn(BOUNDARY_ADAPTERS, name))
          breach(file.path, `throws ${name}: throw a class of errors.ts`);
      }
    }
    const lines = file.text.split("\n").length;
    if (lines > 400) breach(file.path, `${lines} lines: a room over 400 lines is doing more than one thing`);
  }
  return out;
}

/** Every import circle among the files (type imports and import() included): the files on it, in order. */
function importCircles(files: SourceFile[]): string[][] {
  const edges = new Map(
    files.map((f) => [f.path, f.imports.map((spec) => target(f.path, spec)).filter((t): t is string => t !== null)]),
  );
  const circles: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    path.push(file);
    for (const next of edges.get(file) ?? []) {
      if (!edges.has(next)) continue;
      if (state.get(next) === "open") circles.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, "done");
  };
  for (const file of edges.keys()) if (!state.has(file)) visit(file);
  return circles;
}

/** The rooms of ARCHITECTURE.md's map: each room's name (its first column) and everything written in it. */
function mapRooms(markdown: string): Array<{ name: string; text: string }> {
  const block = /## The floors[\s\S]*?```\n([\s\S]*?)```/.exec(markdown)?.[1] ?? "";
  const rooms: Array<{ name: string; text: string }> = [];
  for (const line of block.split("\n")) {
    const name = line.slice(0, 24).trim();
    const last = rooms.at(-1);
    if (name && (!last || !line.startsWith(" ") || last.text === "")) rooms.push({ name, text: line });
    else if (last) last.text += `\n${line}`;
  }
  return rooms;
}

/** Files under src/ that the map does not name in their room (a root file: in a room's name). */
function unmapped(paths: string[], markdown: string): string[] {
  const rooms = mapRooms(markdown);
  const named = (text: string, file: string) =>
    new RegExp(`(?<![\\w.-])${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w-])`).test(text);
  return paths.filter((path) => {
    const slash = path.indexOf("/");
    if (slash === -1)
      return !rooms.some((room) =>
        named(
          room.text
            .split("\n")
            .map((l) => l.slice(0, 24))
            .join(" "),
          path,
        ),
      );
    const folder = `${path.slice(0, slash)}/`;
    const room = rooms.find((r) => r.name.split(/,\s*/).includes(folder) || r.name.startsWith(folder));
    const base = path.slice(path.lastIndexOf("/") + 1);
    return !room || !named(room.text, base);
  });
}

describe("the house rules", () => {
  const files = readSources();

  it("reads every source file and its imports", () => {
    expect(files.length).toBeGreaterThan(30);
    expect(files.find((f) => f.path === "runtime.ts")?.imports).toContain("./simulator/server.js");
  });

  it("holds for every file under src/", () => {
    expect(houseRuleBreaches(files)).toEqual([]);
  });

  it("reads no private field of the SDK or any library (no `._name` but the protocol's own `_meta`)", () => {
    const reads = files.flatMap((f) =>
      f.text
        .split("\n")
        .filter((line) => !/^\s*(\/\/|\*)/.test(line))
        .flatMap((line) => [...line.matchAll(/(?:\.|\[["'])(_[A-Za-z]\w*)/g)].map((m) => m[1]))
        .filter((name) => name !== "_meta")
        .map((name) => `${f.path}: ${name}`),
    );
    expect(reads).toEqual([]);
  });

  it("loads no MCP SDK code in the detached runner (its entry's static imports, type imports aside)", () => {
    const byPath = new Map(files.map((f) => [f.path, f]));
    const seen = new Set<string>();
    const visit = (path: string) => {
      const file = byPath.get(path);
      if (!file || seen.has(path)) return;
      seen.add(path);
      // Static value imports only: `import type` loads nothing, and import() loads on demand.
      const values = [...file.text.matchAll(/^import\s+(?!type\b)[^;]*?from\s*["']([^"']+)["']/gm)].map(
        (m) => m[1] as string,
      );
      for (const spec of values) {
        expect(spec.startsWith("@modelcontextprotocol/"), `${path} imports ${spec}`).toBe(false);
        const landed = target(path, spec);
        if (landed) visit(landed);
      }
    };
    visit("runner-process.ts");
    expect(seen.size).toBeGreaterThan(20);
  });

  it("has no function over 100 lines by a plain count (comments and blank lines count too)", () => {
    expect(files.flatMap((file) => longFunctions(file))).toEqual([]);
  });

  it("counts a 101-line function as too long", () => {
    const text = ["export function long(): void {", ...Array.from({ length: 99 }, () => "  step();"), "}"].join("\n");
    expect(longFunctions({ path: "x.ts", text, imports: [] })).toEqual(["x.ts:1 long: 101 lines"]);
  });

  it("has no import circle", () => {
    expect(importCircles(files)).toEqual([]);
  });

  it("finds a circle when there is one", () => {
    const a = { path: "simulator/a.ts", text: "", imports: ["./b.js"] };
    const b = { path: "simulator/b.ts", text: "", imports: ["./c.js"] };
    const c = { path: "simulator/c.ts", text: "", imports: ["./a.js"] };
    expect(importCircles([a, b, c])).toEqual([
      ["simulator/a.ts", "simulator/b.ts", "simulator/c.ts", "simulator/a.ts"],
    ]);
  });

  it("is mapped: ARCHITECTURE.md names every file under src/ in its room", () => {
    const markdown = readFileSync(join(ROOT, "ARCHITECTURE.md"), "utf8");
    expect(mapRooms(markdown).length).toBeGreaterThan(10);
    expect(
      unmapped(
        files.map((f) => f.path),
        markdown,
      ),
    ).toEqual([]);
  });

  it("finds a file the map leaves out", () => {
    const markdown =
      "## The floors\n\n```\njobs/                   registry.ts (the engine)\nerrors.ts               errors\n```\n";
    expect(unmapped(["jobs/registry.ts", "jobs/limiter.ts", "errors.ts", "log.ts"], markdown)).toEqual([
      "jobs/limiter.ts",
      "log.ts",
    ]);
  });

  it.each([
    ["openai imported from a tool", "tools/x.ts", 'import OpenAI from "openai";', /only upstream/],
    ["sharp imported outside imaging/", "usecases/x.ts", 'const s = await import("sharp");', /only imaging/],
    [
      "a file written outside workspace/",
      "usecases/x.ts",
      'import { writeFile } from "node:fs/promises";',
      /only workspace/,
    ],
    ["I/O in contract/", "contract/x.ts", 'import { readFile } from "node:fs/promises";', /contract\/ is pure/],
    [
      "the simulator reached from a tool",
      "tools/x.ts",
      'import { x } from "../simulator/server.js";',
      /through runtime/,
    ],
    [
      "an arrow back up from upstream/",
      "upstream/x.ts",
      'import { Limiter } from "../jobs/limiter.js";',
      /upstream\/ must not import jobs\//,
    ],
    ["an error class outside errors.ts", "imaging/x.ts", "export class Oops extends Error {}", /errors\.ts/],
    ["a plain Error thrown", "imaging/x.ts", 'throw new Error("oops");', /throws Error/],
    ["a RangeError thrown", "contract/x.ts", 'if (x) throw new RangeError("bad size");', /throws RangeError/],
    ["a promise rejected with a TypeError", "upstream/x.ts", 'reject(new TypeError("no"));', /throws TypeError/],
    ["node:fs imported as a namespace", "usecases/x.ts", 'import * as fs from "node:fs";', /node:fs whole/],
    ["node:fs/promises as a default", "imaging/x.ts", 'import fsp from "node:fs/promises";', /node:fs whole/],
    ["node:fs imported with import()", "tools/x.ts", 'const fs = await import("node:fs");', /node:fs whole/],
    ["a room over 400 lines", "jobs/x.ts", "\n".repeat(401), /over 400 lines/],
    ["ioredis imported outside the Redis book", "jobs/x.ts", 'const r = await import("ioredis");', /only jobs\/redis/],
    [
      "node:sqlite opened outside the SQLite book",
      "usecases/x.ts",
      'import { DatabaseSync } from "node:sqlite";',
      /sqlite-db/,
    ],
    ["Redis loaded eagerly", "runtime.ts", 'import { connectRedisBook } from "./jobs/redis.js";', /lazily/],
  ])("catches %s", (_name, path, text, rule) => {
    const imports = [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2] ?? m[3]) as string);
    const breaches = houseRuleBreaches([{ path, text, imports }]);
    expect(breaches.map((b) => b.rule).join("\n")).toMatch(rule);
  });
});

/** A line that opens a function, a method or a block-bodied arrow (control statements aside). */
const OPENS_FUNCTION =
  /^\s*(export\s+)?(default\s+)?(async\s+)?function\b|^\s*((public|private|protected|static|readonly|async|get|set)\s+)*[A-Za-z_$][\w$]*\s*(<[^>]*>)?\(.*\{\s*$|=>\s*\{\s*$/;
const CONTROL = /^\s*(if|for|while|switch|catch|else|return|do|try)\b/;

/** Functions longer than 100 lines, from their first line to their closing brace (strings and comments ignored). */
function longFunctions(file: SourceFile): string[] {
  const lines = file.text.split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (!OPENS_FUNCTION.test(line) || CONTROL.test(line)) continue;
    let depth = 0;
    let opened = false;
    let end = i;
    for (; end < lines.length; end++) {
      const code = (lines[end] as string).replace(/\/\/.*$/, "").replace(/(["'`])(?:\\.|(?!\1).)*\1/g, "");
      for (const ch of code) {
        if (ch === "{") {
          depth++;
          opened = true;
        } else if (ch === "}") depth--;
      }
      if (opened && depth <= 0) break;
    }
    const count = end - i + 1;
    const name = /(?:function\s+|^\s*(?:\w+\s+)*)([A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\(/.exec(line)?.[1] ?? "(arrow)";
    if (count > 100) out.push(`${file.path}:${i + 1} ${name}: ${count} lines`);
  }
  return out;
}
