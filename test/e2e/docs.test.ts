// The documentation as a user meets it: the README starts where a newcomer starts and stays short, its commands run
// from a clone, every link leads somewhere, and the reference pages are what the code generates (npm run docs).

import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const lines = readme.split("\n");
const pages = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

function checkDocs(at: string): { status: number | null; stderr: string } {
  const run = spawnSync(process.execPath, [join(at, "scripts", "docs.mjs"), "--check"], { encoding: "utf8" });
  return { status: run.status, stderr: run.stderr };
}

describe("the README", () => {
  it("is at most 250 lines, with the three first commands on the first screen and client setup in the first 80", () => {
    expect(lines.length).toBeLessThanOrEqual(250);
    const first = lines.slice(0, 30).join("\n");
    for (const command of ["npm ci", "npm test", "node dist/cli.js call generate_image"])
      expect(first).toContain(command);
    const connect = lines.indexOf("## Connect your client");
    expect(connect).toBeGreaterThan(0);
    expect(lines.slice(connect, 80).join("\n")).toContain("node dist/cli.js setup claude-desktop --write");
  });

  it("sends what is not for a first-time user to guides in docs/, each linked from the README", () => {
    const guides = ["guide.md", "clients.md", "http-and-replicas.md", "security.md", "performance.md"];
    for (const guide of guides) {
      expect(existsSync(join(root, "docs", guide)), guide).toBe(true);
      expect(readme).toContain(`(docs/${guide})`);
    }
  });

  it("writes every command as it runs from a clone (node dist/cli.js), never a bare pixelwright", () => {
    const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    expect(blocks.length).toBeGreaterThan(1);
    for (const line of blocks.join("\n").split("\n")) expect(line).not.toMatch(/^\s*pixelwright\b/);
    expect(readme).not.toMatch(/`pixelwright (call|doctor|setup|tools|gallery|http|simulator)\b/);
  });

  it("says how long the tests take and what they need", () => {
    expect(readme).toMatch(/npm test .* minutes on a 2-core machine/);
    expect(readme).toContain("apt-get install chromium redis-server");
    expect(readme).toContain("Node.js >= 22.13");
  });
});

describe("the README's Try it", () => {
  const block = /## Try it[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
  const calls = block.split("\n").filter((l) => l.startsWith("node dist/cli.js"));

  it.each(calls)("runs exactly as written in a fresh shell: %s", { timeout: 60_000 }, (line) => {
    const home = mkdtempSync(join(tmpdir(), "pixelwright-try-"));
    const run = spawnSync("bash", ["-c", line], {
      cwd: root,
      env: { HOME: home, PATH: `${dirname(process.execPath)}:/usr/bin:/bin` },
      encoding: "utf8",
    });
    expect(run.stderr).not.toMatch(/error|\n\s+at /i);
    expect(run.status).toBe(0);
    // Piped, a call prints JSON: the structured result, or (cut by head) the start of it.
    if (line.includes("|")) expect(run.stdout).toMatch(/^\{\n {2}"ok": true,/);
    rmSync(home, { recursive: true, force: true });
  });

  it("has a piped call among its commands", () => {
    expect(calls.some((l) => l.includes(" | "))).toBe(true);
  });
});

describe("what the pages tell people to type", () => {
  it.each(pages)("%s never says `gemini trust` (Gemini CLI's command is /permissions trust)", (page) => {
    expect(readFileSync(join(root, page), "utf8")).not.toMatch(/gemini trust/);
  });
});

describe("links", () => {
  it.each(pages)("in %s lead to files that exist", (page) => {
    const text = readFileSync(join(root, page), "utf8");
    const targets = [...text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)]
      .map((m) => m[1] as string)
      .filter((t) => !/^[a-z]+:/.test(t));
    for (const target of targets)
      expect(existsSync(join(root, dirname(page), target)), `${page} → ${target}`).toBe(true);
  });
});

describe("the generated reference", () => {
  const copy = mkdtempSync(join(tmpdir(), "pixelwright-docs-"));
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it("is what npm run docs makes from the schemas now", () => {
    const { status, stderr } = checkDocs(root);
    expect(stderr).toBe("");
    expect(status).toBe(0);
  });

  it("is reported stale, by page, when a page no longer matches", () => {
    for (const part of ["scripts", "dist", "docs", "README.md", "package.json"]) {
      cpSync(join(root, part), join(copy, part), { recursive: true });
    }
    symlinkSync(join(root, "node_modules"), join(copy, "node_modules"));
    const tools = join(copy, "docs", "tools.md");
    writeFileSync(tools, readFileSync(tools, "utf8").replace("## generate_image", "## generate_images"));
    const { status, stderr } = checkDocs(copy);
    expect(stderr).toMatch(/stale, regenerate with npm run docs: docs\/tools\.md$/m);
    expect(status).toBe(1);
  });
});
