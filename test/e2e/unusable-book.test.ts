// A workspace or job book (.pixelwright/state.db) that cannot be used, built for real: a database file that is not
// one, a workspace under a file, a workspace and a database this user may not write. The built CLI and the stdio
// server through the SDK's client: one sentence naming the path and what to change, never a stack or an incident;
// validate_size, which needs no book, still answers; doctor's job book line says the same.

import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, type CliRun, cleanEnv, collect, runCli, spawnClient } from "../helpers/spawn.js";

const JOB = '{"prompt":"a lighthouse","size":"1024x1024","return_image":"none"}';
const SIZE = '{"size":"1024x1024"}';
/**
 * Root writes through every file mode: as root, the CLI runs without the capabilities that override file modes
 * (util-linux's setpriv drops them from its bounding set), so a folder or file made read-only is read-only to it — while
 * this checkout, which root owns, stays readable wherever it was cloned (another user could not enter a 0700 folder).
 */
const AS_ROOT = process.getuid?.() === 0;
const WITHOUT_OVERRIDE = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"];

/** A folder another user can enter (mkdtemp makes 0700), holding the workspace `ws` (not made yet). */
function place(): { dir: string; workspace: string } {
  const dir = mkdtempSync(join(tmpdir(), "pixelwright-book-"));
  chmodSync(dir, 0o755);
  return { dir, workspace: join(dir, "ws") };
}

/** A workspace whose job book is a file SQLite cannot read as a database. */
function corruptBook(): { dir: string; workspace: string; database: string } {
  const { dir, workspace } = place();
  mkdirSync(join(workspace, ".pixelwright"), { recursive: true });
  const database = join(workspace, ".pixelwright", "state.db");
  writeFileSync(database, "this is not a database, whatever its name says ".repeat(20));
  return { dir, workspace, database };
}

/** The built CLI as a user who may not write what this test made read-only (root without its override, as root). */
function runReadOnly(args: string[], env: Record<string, string>): Promise<CliRun> {
  const [command, ...argv] = [...(AS_ROOT ? WITHOUT_OVERRIDE : []), process.execPath, CLI, ...args];
  return collect(spawn(command as string, argv, { env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] }));
}

/** Refused as a set-up to fix: exit 2, the sentence on stderr, no stack, no incident, nothing on stdout. */
function expectRefusal(run: CliRun, ...says: string[]): void {
  for (const text of says) expect(run.stderr).toContain(text);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stderr).not.toMatch(/Internal error|unexpected error|incident/);
  expect(run.stdout).toBe("");
  expect(run.code).toBe(2);
}

const doctorLine = (stdout: string, name: string) => stdout.split("\n").find((l) => l.includes(` ${name}: `)) ?? "";

describe("a job book that is not a SQLite database", () => {
  it("a call that needs the book: exit 2, naming the file and 'move it aside', nothing generated", async () => {
    const { workspace, database } = corruptBook();
    const run = await runCli(["call", "generate_image", JOB], { PIXELWRIGHT_WORKSPACE: workspace, HOME: workspace });
    expectRefusal(run, `the job book ${database} is not a SQLite database`, "move it aside");
    expect(readdirSync(workspace).filter((f) => f.endsWith(".png"))).toEqual([]);
  });

  it("validate_size, which needs no book, still answers", async () => {
    const { workspace } = corruptBook();
    const run = await runCli(["call", "validate_size", SIZE], { PIXELWRIGHT_WORKSPACE: workspace, HOME: workspace });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true });
  });

  it("the stdio server starts, answers validate_size, refuses image calls with the fix, and uses the book once it is moved aside", {
    timeout: 60_000,
  }, async () => {
    const { workspace, database } = corruptBook();
    const session = await spawnClient({ PIXELWRIGHT_WORKSPACE: workspace, HOME: workspace });
    try {
      const size = await session.client.callTool({ name: "validate_size", arguments: { size: "1024x1024" } });
      expect(size.isError).toBeFalsy();
      const refused = await session.client.callTool({ name: "generate_image", arguments: JSON.parse(JOB) });
      expect(refused.isError).toBe(true);
      const text = (refused.content as Array<{ text?: string }>)[0]?.text ?? "";
      expect(text).toMatch(/^Server configuration error: the job book .* is not a SQLite database/);
      expect(text).toContain(database);
      expect(text).toContain("move it aside");
      renameSync(database, `${database}.damaged`);
      const done = await session.client.callTool({ name: "generate_image", arguments: JSON.parse(JOB) });
      expect(done.structuredContent).toMatchObject({ status: "completed" });
    } finally {
      await session.close();
    }
  });

  it("doctor: ✗ job book, naming the file and the fix, exit 1", { timeout: 60_000 }, async () => {
    const { workspace, database } = corruptBook();
    const run = await runCli(["doctor"], { PIXELWRIGHT_WORKSPACE: workspace, HOME: workspace });
    const line = doctorLine(run.stdout, "job book");
    expect(line).toMatch(/^ {2}✗ job book: /);
    expect(line).toContain(`${database} is not a SQLite database`);
    expect(line).toContain("→ fix: move it aside");
    expect(run.code).toBe(1);
  });
});

describe("a workspace that cannot be made (under a file, which binds root too)", () => {
  it("an image call: exit 2 naming the file in the way and the setting to change", async () => {
    const { dir } = place();
    writeFileSync(join(dir, "file"), "");
    const workspace = join(dir, "file", "ws");
    const run = await runCli(["call", "generate_image", JOB], { PIXELWRIGHT_WORKSPACE: workspace, HOME: dir });
    expectRefusal(run, `the workspace ${workspace} cannot be used: ${join(dir, "file")} is a file, not a folder`);
    expect(run.stderr).toContain("set PIXELWRIGHT_WORKSPACE");
  });

  it("validate_size still answers", async () => {
    const { dir } = place();
    writeFileSync(join(dir, "file"), "");
    const run = await runCli(["call", "validate_size", SIZE], {
      PIXELWRIGHT_WORKSPACE: join(dir, "file", "ws"),
      HOME: dir,
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true });
  });
});

describe("a workspace this user may not write", () => {
  const readOnlyWorkspace = () => {
    const { dir, workspace } = place();
    mkdirSync(workspace, { mode: 0o555 });
    chmodSync(workspace, 0o555);
    return { dir, workspace };
  };

  it("an image call: exit 2, saying permission is denied and what to change", async () => {
    const { dir, workspace } = readOnlyWorkspace();
    const run = await runReadOnly(["call", "generate_image", JOB], { PIXELWRIGHT_WORKSPACE: workspace, HOME: dir });
    expectRefusal(run, `${workspace} may not be written by this user (permission denied)`, "PIXELWRIGHT_WORKSPACE");
  });

  it("validate_size still answers", async () => {
    const { dir, workspace } = readOnlyWorkspace();
    const run = await runReadOnly(["call", "validate_size", SIZE], { PIXELWRIGHT_WORKSPACE: workspace, HOME: dir });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true });
  });

  it("doctor says the system's code once, not 'EACCES: EACCES: …'", { timeout: 60_000 }, async () => {
    const { dir, workspace } = readOnlyWorkspace();
    const run = await runReadOnly(["doctor"], { PIXELWRIGHT_WORKSPACE: workspace, HOME: dir });
    const line = doctorLine(run.stdout, "writable");
    expect(line).toMatch(/^ {2}✗ writable: .*EACCES: permission denied/);
    expect(run.stdout).not.toMatch(/(E[A-Z]+): \1/);
  });
});

describe("a job book this user may not write (mode 0444 in a writable folder)", () => {
  /** A sound book made by a first call, then made read-only. */
  async function readOnlyBook(): Promise<{ dir: string; workspace: string; database: string }> {
    const { dir, workspace } = place();
    mkdirSync(workspace, { mode: 0o777 });
    chmodSync(workspace, 0o777);
    const made = await runCli(["call", "generate_image", JOB], { PIXELWRIGHT_WORKSPACE: workspace, HOME: dir });
    expect(made.code).toBe(0);
    const state = join(workspace, ".pixelwright");
    chmodSync(state, 0o777);
    for (const f of readdirSync(state)) chmodSync(join(state, f), 0o444);
    for (const f of readdirSync(workspace)) if (f !== ".pixelwright") chmodSync(join(workspace, f), 0o666);
    return { dir, workspace, database: join(state, "state.db") };
  }

  it("an image call: exit 2 before anything is sent, saying the book is read-only and how to fix it", {
    timeout: 60_000,
  }, async () => {
    const { dir, workspace, database } = await readOnlyBook();
    const run = await runReadOnly(["call", "generate_image", '{"prompt":"another","size":"1024x1024"}'], {
      PIXELWRIGHT_WORKSPACE: workspace,
      HOME: dir,
    });
    expectRefusal(run, `the job book ${database} is read-only for this user`, `chmod u+w ${database}`);
    expect(readdirSync(workspace).filter((f) => f.endsWith(".png"))).toHaveLength(1);
  });

  it("doctor: ✗ job book with the same fix; ✓ for the user who can write it", { timeout: 60_000 }, async () => {
    const { dir, workspace, database } = await readOnlyBook();
    const denied = await runReadOnly(["doctor"], { PIXELWRIGHT_WORKSPACE: workspace, HOME: dir });
    const line = doctorLine(denied.stdout, "job book");
    expect(line).toMatch(/^ {2}✗ job book: /);
    expect(line).toContain(`chmod u+w ${database}`);
    if (AS_ROOT) {
      const owner = await runCli(["doctor"], { PIXELWRIGHT_WORKSPACE: workspace, HOME: dir });
      expect(doctorLine(owner.stdout, "job book")).toMatch(
        /^ {2}✓ job book: .* opens, can be written, and SQLite finds it sound/,
      );
    }
  });
});

describe("doctor's job book line", () => {
  it("before the first image call: ✓ no book yet; after it: ✓ opens and is sound", { timeout: 60_000 }, async () => {
    const { dir, workspace } = place();
    const env = { PIXELWRIGHT_WORKSPACE: workspace, HOME: dir };
    mkdirSync(workspace);
    const before = await runCli(["doctor"], env);
    expect(doctorLine(before.stdout, "job book")).toMatch(/^ {2}✓ job book: no job book yet/);
    expect((await runCli(["call", "generate_image", JOB], env)).code).toBe(0);
    const after = await runCli(["doctor"], env);
    expect(doctorLine(after.stdout, "job book")).toMatch(/^ {2}✓ job book: .*state\.db opens, can be written/);
    expect(existsSync(join(workspace, ".pixelwright", "state.db"))).toBe(true);
  });
});
