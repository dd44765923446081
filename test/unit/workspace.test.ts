import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { slugify, Workspace } from "../../src/workspace/workspace.js";

let root: string;
let ws: Workspace;
/** A real PNG (1x1) beside the workspace, outside it: what a path that escapes the jail would reach. */
let outside: string;
const PNG_1X1 = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);
beforeEach(() => {
  const parent = mkdtempSync(join(tmpdir(), "pw-ws-unit-"));
  root = join(parent, "workspace");
  mkdirSync(root);
  outside = join(parent, "outside.png");
  writeFileSync(outside, PNG_1X1);
  ws = new Workspace(root);
});

describe("names", () => {
  it.each([
    ["A lighthouse at dawn, 4K!", "a-lighthouse-at-dawn-4k"],
    ["../../etc/passwd", "etc-passwd"],
    ["hero.png", "hero"],
    ["Café crème", "cafe-creme"],
    ["\u0000\u202e\u200b", "image"],
    ["", "image"],
  ])("slugify(%j) = %j", (text, slug) => {
    expect(slugify(text)).toBe(slug);
  });

  it("follows YYYYMMDD-HHMMSS-<slug>-<id>.<ext> and never repeats", () => {
    const now = new Date(2026, 10, 21, 9, 5, 7);
    const a = ws.newName("Hero shot", "png", now);
    expect(a).toMatch(/^20261121-090507-hero-shot-[0-9a-f]{6}\.png$/);
    expect(new Set(Array.from({ length: 200 }, () => ws.newName("x", "png", now))).size).toBe(200);
  });
});

describe("atomic saves", () => {
  it("writes the bytes and leaves no temp file", async () => {
    const saved = await ws.save("a.png", Buffer.from("abc"));
    expect(readFileSync(saved.path, "utf8")).toBe("abc");
    expect(readdirSync(root)).toEqual(["a.png"]);
  });

  it("never overwrites an existing file, and cleans its temp file when it refuses", async () => {
    await ws.save("a.png", Buffer.from("first"));
    await expect(ws.save("a.png", Buffer.from("second"))).rejects.toThrow(/EEXIST/);
    expect(readFileSync(join(root, "a.png"), "utf8")).toBe("first");
    expect(readdirSync(root)).toEqual(["a.png"]);
  });

  it("refuses names that are paths", async () => {
    await expect(ws.save("../a.png", Buffer.from("x"))).rejects.toThrow(InputError);
    await expect(ws.save(".hidden.png", Buffer.from("x"))).rejects.toThrow(InputError);
  });

  it("serializes manifest lines so they never interleave", async () => {
    await Promise.all(Array.from({ length: 50 }, (_, i) => ws.appendManifest({ i, pad: "x".repeat(5000) })));
    const lines = readFileSync(join(root, "manifest.jsonl"), "utf8").trim().split("\n");
    expect(lines.map((l) => JSON.parse(l).i).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});

/** Opens through the jail and answers the real path (the descriptor is closed at once). */
async function openPath(w: Workspace, path: string): Promise<string> {
  const file = await w.open(path, "file", { maxBytes: 1024 });
  await file.close();
  return file.path;
}

describe("the path jail", () => {
  it("reads files inside the workspace by relative or absolute path", async () => {
    writeFileSync(join(root, "in.png"), "x");
    await expect(openPath(ws, "in.png")).resolves.toMatch(/in\.png$/);
    await expect(openPath(ws, join(root, "in.png"))).resolves.toMatch(/in\.png$/);
  });

  it.each([
    ["a ../ escape", () => "../outside.png"],
    ["an absolute path elsewhere", () => outside],
    ["an escape through a subfolder", () => "sub/../../outside.png"],
  ])("refuses %s to a real image outside the workspace, saying why", async (_name, pathOf) => {
    const refused = openPath(ws, pathOf());
    await expect(refused).rejects.toThrow(InputError);
    await expect(refused).rejects.toThrow(/outside the folders this server may read/);
  });

  it("refuses a symlink that points out, and a directory", async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), "pw-elsewhere-"));
    writeFileSync(join(elsewhere, "s.png"), "x");
    symlinkSync(join(elsewhere, "s.png"), join(root, "link.png"));
    await expect(openPath(ws, "link.png")).rejects.toThrow(/outside the folders/);
    mkdirSync(join(root, "dir"));
    await expect(openPath(ws, "dir")).rejects.toThrow(/not a file/);
  });

  it("allows a read root", async () => {
    const extra = mkdtempSync(join(tmpdir(), "pw-extra-"));
    writeFileSync(join(extra, "r.png"), "x");
    const withRoot = new Workspace(root, [extra]);
    await expect(openPath(withRoot, join(extra, "r.png"))).resolves.toMatch(/r\.png$/);
  });

  it("serves only bare names as resources", async () => {
    writeFileSync(join(root, "ok.png"), "x");
    expect(await ws.imagePath("ok.png")).toMatch(/ok\.png$/);
    expect(await ws.imagePath("../ok.png")).toBeNull();
    expect(await ws.imagePath("missing.png")).toBeNull();
  });
});
