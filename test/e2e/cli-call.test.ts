// `pixelwright call` as a person and as a script see it: the built CLI, under a pseudo-terminal (util-linux
// `script`) or with pipes, against the embedded simulator made slow with PIXELWRIGHT_SIM_LATENCY_MS.

import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, cleanEnv, runCli, tempWorkspace } from "../helpers/spawn.js";

const JOB = '{"prompt":"slow lighthouse","size":"1024x1024","return_image":"none"}';

function quote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

/** Runs a shell line under a pseudo-terminal: what the process writes to the terminal comes back as `tty`. */
function underTerminal(line: string, env: Record<string, string>): Promise<{ code: number | null; tty: string }> {
  return new Promise((resolve) => {
    const child = spawn("script", ["-q", "-e", "-c", line, "/dev/null"], {
      env: cleanEnv({ ...env, COLUMNS: "200" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let tty = "";
    child.stdout.on("data", (c: Buffer) => {
      tty += c.toString();
    });
    child.on("close", (code) => resolve({ code, tty }));
  });
}

const cli = (args: string) => `${quote(process.execPath)} ${quote(CLI)} ${args}`;
const progressLines = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("pixelwright: ["));

describe("progress while a slow generation runs", () => {
  it("on a terminal: one line redrawn in place on stderr, nothing of it on stdout", { timeout: 60_000 }, async () => {
    const workspace = tempWorkspace();
    const out = join(workspace, "stdout.json");
    const { code, tty } = await underTerminal(`${cli(`call generate_image ${quote(JOB)}`)} > ${quote(out)}`, {
      PIXELWRIGHT_WORKSPACE: workspace,
      PIXELWRIGHT_SIM_LATENCY_MS: "2500",
      PIXELWRIGHT_LOG_LEVEL: "error",
    });
    expect(code).toBe(0);
    const redraws = tty.split("\r\x1b[2K").filter((s) => /^\[\d+ s\] running · rendering 1024x1024/.test(s));
    expect(redraws.length).toBeGreaterThan(1);
    // In place: no progress line ends with a newline, and the last write clears it.
    expect(redraws.every((s) => !s.includes("\n"))).toBe(true);
    expect(tty.endsWith("\r\x1b[2K")).toBe(true);
    const stdout = readFileSync(out, "utf8");
    expect(stdout).not.toMatch(/running ·/);
    expect(JSON.parse(stdout)).toMatchObject({ status: "completed" });
  });

  it("not on a terminal: plain lines on stderr, at least 5 s apart, and stdout is only the JSON result", {
    timeout: 60_000,
  }, async () => {
    const { code, stdout, stderr } = await runCli(["call", "generate_image", JOB], {
      PIXELWRIGHT_WORKSPACE: tempWorkspace(),
      PIXELWRIGHT_SIM_LATENCY_MS: "6000",
      PIXELWRIGHT_LOG_LEVEL: "error",
    });
    expect(code).toBe(0);
    const lines = progressLines(stderr);
    // The first line comes with the server's first message; on a busy machine that can be a second or two in.
    expect(lines[0]).toMatch(/^pixelwright: \[\d+ s\] running · rendering 1024x1024 auto/);
    expect(stderr.includes("\r") || stderr.includes("\u001b")).toBe(false);
    const stamps = lines.map((l) => Number(/\[(\d+) s\]/.exec(l)?.[1]));
    for (let i = 1; i < stamps.length; i++)
      expect((stamps[i] as number) - (stamps[i - 1] as number)).toBeGreaterThanOrEqual(5);
    expect(JSON.parse(stdout)).toMatchObject({ status: "completed" });
  });

  it("--quiet: no progress at all", { timeout: 60_000 }, async () => {
    const { code, stderr } = await runCli(["call", "generate_image", JOB, "--quiet"], {
      PIXELWRIGHT_WORKSPACE: tempWorkspace(),
      PIXELWRIGHT_SIM_LATENCY_MS: "1500",
      PIXELWRIGHT_LOG_LEVEL: "error",
    });
    expect(code).toBe(0);
    expect(progressLines(stderr)).toEqual([]);
  });

  it("collecting a job that has ended: no 'running · rendering … elapsed' line for it, only the result", {
    timeout: 60_000,
  }, async () => {
    const env = { PIXELWRIGHT_WORKSPACE: tempWorkspace(), PIXELWRIGHT_LOG_LEVEL: "error" };
    const made = await runCli(["call", "generate_image", JOB], env);
    const { job_id } = JSON.parse(made.stdout) as { job_id: string };
    const { code, stdout, stderr } = await runCli(["call", "verify_image", JSON.stringify({ job_id })], env);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ job_id });
    expect(progressLines(stderr)).toEqual([]);
  });
});

describe("what the call prints on stdout", () => {
  it("on a terminal: the headline, the saved path and the caveats, not JSON", { timeout: 60_000 }, async () => {
    const { code, tty } = await underTerminal(`${cli(`call generate_image ${quote(JOB)}`)} 2>/dev/null`, {
      PIXELWRIGHT_WORKSPACE: tempWorkspace(),
    });
    expect(code).toBe(0);
    const lines = tty.replace(/\r/g, "").trim().split("\n");
    expect(lines[0]).toMatch(/^Saved 1024x1024 PNG \(verified\) to \/.+\.png\.$/);
    expect(lines[1]).toMatch(/^ {2}saved: \/.+\.png$/);
    expect(lines.some((l) => l.startsWith("  note: Offline simulator"))).toBe(true);
    expect(tty).not.toMatch(/^\s*\{/m);
  });

  it("on a terminal with --json: the structured result", { timeout: 60_000 }, async () => {
    const { code, tty } = await underTerminal(`${cli(`call generate_image ${quote(JOB)} --json`)} 2>/dev/null`, {
      PIXELWRIGHT_WORKSPACE: tempWorkspace(),
    });
    expect(code).toBe(0);
    expect(JSON.parse(tty.replace(/\r/g, ""))).toMatchObject({ status: "completed", images: [{ width: 1024 }] });
  });

  it("piped: the structured result, without --json", { timeout: 60_000 }, async () => {
    const { stdout } = await runCli(["call", "validate_size", '{"size":"3840x2160"}'], {
      PIXELWRIGHT_WORKSPACE: tempWorkspace(),
    });
    expect(JSON.parse(stdout)).toMatchObject({ ok: true });
  });
});

describe("the exit code", () => {
  it("is 1 when the generation failed, with the result still printed", { timeout: 60_000 }, async () => {
    const { code, stdout } = await runCli(["call", "generate_image", JOB], {
      PIXELWRIGHT_WORKSPACE: tempWorkspace(),
      PIXELWRIGHT_SIM_FAULTS: "moderation",
    });
    expect(JSON.parse(stdout)).toMatchObject({ status: "failed" });
    expect(code).toBe(1);
  });

  it("is 0 after following a job still running at the wait deadline to its saved, verified image", {
    timeout: 60_000,
  }, async () => {
    // The job lives in the CLI's own process: returning "running" and exiting would abandon a paid request.
    const workspace = tempWorkspace();
    const { code, stdout } = await runCli(
      ["call", "generate_image", '{"prompt":"slow","size":"1024x1024","return_image":"none","wait_seconds":1}'],
      { PIXELWRIGHT_WORKSPACE: workspace, PIXELWRIGHT_SIM_LATENCY_MS: "3000", PIXELWRIGHT_LOG_LEVEL: "error" },
    );
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ status: "verified", job_status: "completed" });
    expect(result.images[0]).toMatchObject({ width: 1024, height: 1024, verified: true });
    expect(existsSync(result.images[0].path)).toBe(true);
    const jobs = readFileSync(join(workspace, "jobs.jsonl"), "utf8").trim().split("\n");
    expect(jobs).toHaveLength(1);
    expect(JSON.parse(jobs[0] as string)).toMatchObject({ status: "completed" });
    expect(code).toBe(0);
  });

  it("is 2 when an argument is not one the tool takes (a misspelt name is refused, not ignored)", async () => {
    const { code, stderr } = await runCli(
      ["call", "generate_image", '{"prompt":"x","size":"1024x1024","qualty":"high","dry_run":true}'],
      { PIXELWRIGHT_WORKSPACE: tempWorkspace() },
    );
    expect(stderr).toMatch(/takes no argument 'qualty'\. Did you mean 'quality'\?/);
    expect(code).toBe(2);
  });

  it("is listed in --help", async () => {
    const { stdout } = await runCli(["--help"], {});
    expect(stdout).toMatch(
      /Exit codes:\n {2}0 {2}done[^\n]*followed[^\n]*\n[^\n]*saved\)\n {2}1 {2}failed: the result's status is "failed"/,
    );
    expect(stdout).toMatch(/ {2}2 {2}bad usage or configuration/);
  });
});
