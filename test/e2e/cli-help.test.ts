// The built CLI when a person does not know the exact words: it lists the tools and their arguments from the
// schemas, answers a misspelt argument, flag, command or setting with the closest right one and exit 2 (nothing
// was run), and writes its log lines to stderr as sentences, not JSON.

import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, spawnClient, tempWorkspace } from "../helpers/spawn.js";

describe("pixelwright tools", () => {
  it("lists every tool the server offers, one line each", async () => {
    const { code, stdout } = await runCli(["tools"], { PIXELWRIGHT_WORKSPACE: tempWorkspace() });
    expect(code).toBe(0);
    for (const name of ["validate_size", "generate_image", "generate_batch", "verify_image", "upscale_image"])
      expect(stdout).toMatch(new RegExp(`^ {2}${name} +\\S`, "m"));
  });

  it("prints one tool's arguments from the schema an agent receives: every one, the required marked", async () => {
    const env = { PIXELWRIGHT_WORKSPACE: tempWorkspace() };
    const { code, stdout } = await runCli(["tools", "generate_image"], env);
    expect(code).toBe(0);
    const session = await spawnClient(env);
    const tool = (await session.client.listTools()).tools.find((t) => t.name === "generate_image");
    await session.close();
    const names = Object.keys(tool?.inputSchema.properties ?? {});
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) expect(stdout).toMatch(new RegExp(`^ {2}${name}( \\(required\\))? +\\S`, "m"));
    expect(stdout).toMatch(/^ {2}prompt \(required\) +string — what to draw/m);
    expect(stdout).toMatch(/^ {2}quality +low \| medium \| high \| xhigh \| max \| auto/m);
  });

  it("--json: the tool exactly as tools/list sends it", async () => {
    const { stdout } = await runCli(["tools", "validate_size", "--json"], { PIXELWRIGHT_WORKSPACE: tempWorkspace() });
    expect(JSON.parse(stdout)).toMatchObject({ name: "validate_size", inputSchema: { type: "object" } });
  });
});

describe("a misspelt word gets the closest right one, and exit 2", () => {
  it.each([
    ["a tool", ["tools", "generat_image"], /there is no tool 'generat_image'\. Did you mean 'generate_image'\?/],
    ["a command", ["doctr"], /unknown command 'doctr'\. Did you mean 'doctor'\?/],
    [
      "a flag",
      ["call", "validate_size", "{}", "--wokspace", "/tmp"],
      /unknown flag '--wokspace'\. Did you mean '--workspace'\?/,
    ],
  ])("%s", async (_what, args, sentence) => {
    const { code, stderr } = await runCli(args, { PIXELWRIGHT_WORKSPACE: tempWorkspace() });
    expect(stderr).toMatch(sentence);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(code).toBe(2);
  });

  it("an argument: refused before anything runs, nothing generated", async () => {
    const workspace = tempWorkspace();
    const { code, stderr } = await runCli(["call", "generate_image", '{"promt":"a lighthouse"}'], {
      PIXELWRIGHT_WORKSPACE: workspace,
    });
    expect(stderr).toMatch(/generate_image takes no argument 'promt'\. Did you mean 'prompt'\?/);
    // The refusal is the only line: the offline simulator's warning is for calls that run.
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(code).toBe(2);
    expect(existsSync(join(workspace, "jobs.jsonl"))).toBe(false);
    expect(readdirSync(workspace).filter((f) => f.endsWith(".png"))).toEqual([]);
  });

  it("a setting's variable", async () => {
    const { code, stderr } = await runCli(["call", "validate_size", '{"size":"1024x1024"}'], {
      PIXELWRIGHT_WORKSPACE: tempWorkspace(),
      PIXELWRIGHT_WAIT_SECOND: "10",
    });
    expect(stderr).toMatch(/PIXELWRIGHT_WAIT_SECOND: not a setting\. Did you mean PIXELWRIGHT_WAIT_SECONDS\?/);
    expect(code).toBe(2);
  });

  it.each([
    ["cut short of a setting's last word", "PIXELWRIGHT_MAX_SPEND", "PIXELWRIGHT_MAX_SPEND_USD"],
    ["with a letter missing", "PIXELWRIGHT_WORKSPCE", "PIXELWRIGHT_WORKSPACE"],
  ])(
    "a setting's variable %s, in doctor: ✗ naming the setting it is close to",
    {
      timeout: 60_000,
    },
    async (_how, variable, meant) => {
      const { code, stdout } = await runCli(["doctor"], { PIXELWRIGHT_WORKSPACE: tempWorkspace(), [variable]: "1" });
      expect(stdout).toContain(
        `✗ ${variable}: not a setting. Did you mean ${meant}? → fix: rename or unset the variable`,
      );
      expect(code).toBe(1);
    },
  );

  it("a setting's value", async () => {
    const { code, stderr } = await runCli(["call", "validate_size", '{"size":"1024x1024"}'], {
      PIXELWRIGHT_WORKSPACE: tempWorkspace(),
      PIXELWRIGHT_LOG_LEVEL: "inof",
    });
    expect(stderr).toMatch(/PIXELWRIGHT_LOG_LEVEL \/ --log-level: could not read 'inof': .* Did you mean 'info'\?/);
    expect(code).toBe(2);
  });
});

describe("log lines on a CLI's stderr", () => {
  const lines = (stderr: string) => stderr.split("\n").filter(Boolean);

  it("read as sentences when a script runs a call (stderr not a terminal)", async () => {
    const { code, stdout, stderr } = await runCli(["call", "validate_size", '{"size":"1024x1024"}'], {
      PIXELWRIGHT_WORKSPACE: tempWorkspace(),
      PIXELWRIGHT_LOG_LEVEL: "info",
    });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ ok: true });
    expect(lines(stderr)).toContainEqual(expect.stringMatching(/^pixelwright: warning: no OPENAI_API_KEY: /));
    expect(lines(stderr).filter((l) => l.startsWith("{"))).toEqual([]);
  });

  it("say that OPENAI_BASE_URL without OPENAI_API_KEY is ignored (the embedded simulator answers)", async () => {
    const { code, stderr } = await runCli(["call", "validate_size", '{"size":"1024x1024"}'], {
      PIXELWRIGHT_WORKSPACE: tempWorkspace(),
      OPENAI_BASE_URL: "http://127.0.0.1:9/v1",
    });
    expect(code).toBe(0);
    expect(lines(stderr)).toContainEqual(
      "pixelwright: warning: OPENAI_BASE_URL is ignored without OPENAI_API_KEY; using the embedded simulator",
    );
  });

  it("are JSON with --json", async () => {
    const { stderr } = await runCli(["call", "validate_size", '{"size":"1024x1024"}', "--json"], {
      PIXELWRIGHT_WORKSPACE: tempWorkspace(),
      PIXELWRIGHT_LOG_LEVEL: "info",
    });
    expect(lines(stderr).length).toBeGreaterThan(0);
    for (const line of lines(stderr)) expect(JSON.parse(line)).toHaveProperty("msg");
  });

  it("are JSON for the stdio server, which log collectors read", async () => {
    const session = await spawnClient({ PIXELWRIGHT_WORKSPACE: tempWorkspace(), PIXELWRIGHT_LOG_LEVEL: "info" });
    await session.client.listTools();
    await session.close();
    const logged = lines(session.stderr());
    expect(logged.length).toBeGreaterThan(0);
    for (const line of logged) expect(JSON.parse(line)).toHaveProperty("msg");
  });
});

describe("every command's --help", () => {
  it.each([
    ["stdio", "pixelwright [stdio]", []],
    ["call", "pixelwright call <tool>", ["--json", "--quiet"]],
    ["tools", "pixelwright tools", ["--json"]],
    ["doctor", "pixelwright doctor", ["--json", "--host"]],
    ["http", "pixelwright http", ["--host", "--port"]],
    ["gallery", "pixelwright gallery", ["--port"]],
    ["simulator", "pixelwright simulator", ["--host", "--port"]],
    ["setup", "pixelwright setup <client>", ["--write", "--env", "--config"]],
    ["runner", "pixelwright runner", []],
  ])("%s --help: its usage and every flag it takes, exit 0, nothing run", async (command, usage, flags) => {
    const workspace = tempWorkspace();
    const { code, stdout, stderr } = await runCli([command, "--help"], { PIXELWRIGHT_WORKSPACE: workspace });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout.startsWith(`Usage: ${usage}`)).toBe(true);
    for (const flag of flags) expect(stdout).toMatch(new RegExp(`^ {2}${flag}\\b`, "m"));
    expect(readdirSync(workspace)).toEqual([]);
  });
});
