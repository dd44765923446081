// `pixelwright doctor` on broken set-ups, each built for real: a simulator that accepts one key, a server that
// answers HTML, a workspace that cannot exist, client configs in a temporary HOME. The built CLI, as a user runs it.

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../src/simulator/server.js";
import { VERSION } from "../../src/version.js";
import { startRedis } from "../helpers/redis.js";
import { CLI, type CliRun, cleanEnv, collect, tempWorkspace } from "../helpers/spawn.js";

const KEY = "sk-proj-q8Zt3vLm9Xr2Wp5Kc7Nd1Fh4Jb6Ty0Ui-7Q2z";
const WRONG_KEY = "sk-proj-Hy7Gt5Rf3Ed1Ws9Qa2Zx4Cv6Bn8Mk0Lp-9Kx1";
const TOKEN = "Mj8Nh7Bg6Vf5Cd4Xs3Za2Lk1Po9Iu0Yt";

let sim: Simulator;
let html: Server;
let htmlURL: string;

function temp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `pixelwright-doctor-${prefix}-`));
}

/** The doctor in a clean environment: an empty HOME and cwd unless given, no key unless given. */
function doctor(env: Record<string, string>, args: string[] = [], home = temp("home")): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI, "doctor", ...args], {
    env: cleanEnv({ HOME: home, PIXELWRIGHT_WORKSPACE: tempWorkspace(), ...env }),
    cwd: temp("cwd"),
    stdio: ["ignore", "pipe", "pipe"],
  });
  return collect(child);
}

const line = (stdout: string, name: string) => stdout.split("\n").find((l) => l.includes(` ${name}: `)) ?? "";

beforeAll(async () => {
  sim = await startSimulator({ apiKey: KEY });
  html = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end("<!doctype html><html><body>Welcome to the gateway dashboard</body></html>");
  });
  await new Promise<void>((r) => html.listen(0, "127.0.0.1", r));
  htmlURL = `http://127.0.0.1:${(html.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await sim.close();
  await new Promise((r) => html.close(r));
});

describe("pixelwright doctor", () => {
  it("against the simulator with its key: every check ✓ and exit 0", { timeout: 60_000 }, async () => {
    const { code, stdout } = await doctor({ OPENAI_API_KEY: KEY, OPENAI_BASE_URL: sim.baseURL });
    expect(stdout).not.toContain("✗");
    expect(line(stdout, "base URL")).toMatch(/^ {2}✓ base URL: .* answers like an OpenAI API/);
    expect(line(stdout, "key")).toMatch(/^ {2}✓ key: .*is accepted/);
    expect(line(stdout, "model")).toMatch(/^ {2}✓ model: gpt-image-2 is available/);
    expect(line(stdout, "sharp")).toMatch(/^ {2}✓ sharp: sharp \S+ loads, libvips \d+\.\d+/);
    expect(stdout).toMatch(/All checks passed\./);
    expect(code).toBe(0);
  });

  it("costs nothing: no image request reaches the upstream", { timeout: 60_000 }, async () => {
    const before = sim.stats.imageRequests;
    await doctor({ OPENAI_API_KEY: KEY, OPENAI_BASE_URL: sim.baseURL });
    expect(sim.stats.imageRequests).toBe(before);
  });

  it("says where each setting comes from: default, environment or flag", { timeout: 60_000 }, async () => {
    const { stdout } = await doctor(
      { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: sim.baseURL, PIXELWRIGHT_MAX_RETRIES: "3" },
      ["--model", "gpt-image-2-pro"],
    );
    expect(stdout).toMatch(/PIXELWRIGHT_MODEL +gpt-image-2-pro {2}\(flag --model\)/);
    expect(stdout).toMatch(/PIXELWRIGHT_MAX_RETRIES +3 {2}\(environment\)/);
    expect(stdout).toMatch(/PIXELWRIGHT_WAIT_SECONDS +50 {2}\(default\)/);
    expect(stdout).toMatch(/OPENAI_API_KEY +sk-…7Q2z {2}\(environment\)/);
  });

  it("a setting it cannot read: ✗ naming the setting and the value, and every other check still runs", {
    timeout: 60_000,
  }, async () => {
    const { code, stdout } = await doctor({
      OPENAI_API_KEY: KEY,
      OPENAI_BASE_URL: sim.baseURL,
      PIXELWRIGHT_WAIT_SECONDS: "soon",
      PIXELWRIGHT_MAX_RETIRES: "3",
    });
    expect(stdout).toMatch(
      /^ {2}✗ PIXELWRIGHT_WAIT_SECONDS \/ --wait-seconds: could not read 'soon': it takes a whole number from 0 to 600\./m,
    );
    expect(stdout).toMatch(/^ {2}✗ PIXELWRIGHT_MAX_RETIRES: not a setting\. Did you mean PIXELWRIGHT_MAX_RETRIES\?/m);
    expect(stdout).not.toMatch(/NaN|expected number/);
    expect(line(stdout, "base URL")).toMatch(/^ {2}✓ base URL: /);
    expect(line(stdout, "writable")).toMatch(/^ {2}✓ writable: /);
    expect(line(stdout, "token")).toMatch(/^ {2}✓ token: /);
    expect(stdout).toMatch(/2 checks failed\./);
    expect(code).toBe(1);
  });

  it("a base URL that answers HTML: ✗ with the fix, exit 1", { timeout: 60_000 }, async () => {
    const { code, stdout } = await doctor({ OPENAI_API_KEY: KEY, OPENAI_BASE_URL: htmlURL });
    expect(line(stdout, "base URL")).toMatch(
      /^ {2}✗ .* answers a web page \(HTML, 200\), not the API → fix: .*ends in \/v1/,
    );
    expect(code).toBe(1);
  });

  it("a key the upstream refuses: ✗ with the fix", { timeout: 60_000 }, async () => {
    const { code, stdout } = await doctor({ OPENAI_API_KEY: WRONG_KEY, OPENAI_BASE_URL: sim.baseURL });
    expect(line(stdout, "key")).toMatch(/^ {2}✗ key: the key sk-…9Kx1 is refused \(401\).* → fix: set OPENAI_API_KEY/);
    expect(code).toBe(1);
  });

  it("a model the gateway does not list: a warning naming the image models it does list, not a failure", {
    timeout: 60_000,
  }, async () => {
    const { code, stdout } = await doctor({ OPENAI_API_KEY: KEY, OPENAI_BASE_URL: sim.baseURL }, [
      "--model",
      "gpt-image-9",
    ]);
    expect(line(stdout, "model")).toMatch(
      /^ {2}! model: gpt-image-9 is not among the \d+ models .* → fix: set PIXELWRIGHT_MODEL to one it lists: gpt-image-2/,
    );
    expect(code).toBe(0);
  });

  it("a workspace that cannot be written (under a file, which binds root too): ✗ with the fix", {
    timeout: 60_000,
  }, async () => {
    const file = join(temp("file"), "not-a-folder");
    writeFileSync(file, "x");
    const { code, stdout } = await doctor({ PIXELWRIGHT_WORKSPACE: join(file, "images") });
    expect(line(stdout, "workspace")).toMatch(
      /^ {2}✗ .*not-a-folder\/images cannot be a folder: .*is a file, not a folder → fix: set PIXELWRIGHT_WORKSPACE/,
    );
    expect(code).toBe(1);
  });

  it("a client config with a stale path: ✗ naming the file and the fix; a working one: ✓", {
    timeout: 60_000,
  }, async () => {
    const home = temp("home");
    mkdirSync(join(home, ".cursor"));
    writeFileSync(
      join(home, ".cursor", "mcp.json"),
      JSON.stringify({ mcpServers: { pixelwright: { command: "node", args: ["/old/checkout/dist/cli.js"] } } }),
    );
    writeFileSync(
      join(home, ".claude.json"),
      JSON.stringify({ mcpServers: { pixelwright: { command: process.execPath, args: [CLI] } } }),
    );
    const { code, stdout } = await doctor({}, [], home);
    const cursor = line(stdout, "Cursor");
    expect(cursor).toMatch(/^ {2}✗ .*\.cursor\/mcp\.json "pixelwright": \/old\/checkout\/dist\/cli\.js does not exist/);
    expect(cursor).toMatch(/→ fix: run node \S*dist\/cli\.js setup cursor --write .*then restart Cursor$/);
    expect(line(stdout, "Claude Code")).toMatch(
      new RegExp(`^ {2}✓ .*\\.claude\\.json "pixelwright": .* starts \\(pixelwright ${VERSION}\\)`),
    );
    expect(code).toBe(1);
  });

  it("an npx entry for pixelwright, which npm does not have yet: ✗ 'not published' with the setup fix", {
    timeout: 120_000,
  }, async () => {
    const home = temp("home");
    mkdirSync(join(home, ".cursor"));
    writeFileSync(
      join(home, ".cursor", "mcp.json"),
      JSON.stringify({ mcpServers: { pixelwright: { command: "npx", args: ["-y", "pixelwright"] } } }),
    );
    const { stdout } = await doctor({}, [], home);
    const cursor = line(stdout, "Cursor");
    expect(cursor).toMatch(/"pixelwright": 'npx -y pixelwright' cannot start: pixelwright is not published on npm yet/);
    expect(cursor).toMatch(/→ fix: run node \S*dist\/cli\.js setup cursor --write/);
  });

  it("a client command that is not installed: ✗", { timeout: 60_000 }, async () => {
    const home = temp("home");
    mkdirSync(join(home, ".codex"));
    writeFileSync(
      join(home, ".codex", "config.toml"),
      '[mcp_servers.pixelwright]\ncommand = "/opt/gone/bin/pixelwright"\nargs = []\n',
    );
    const { stdout } = await doctor({}, [], home);
    expect(line(stdout, "Codex")).toMatch(
      /^ {2}✗ .*config\.toml "pixelwright": the command '\/opt\/gone\/bin\/pixelwright' does not exist/,
    );
  });

  it("an HTTP token too short for a non-loopback bind: ✗", { timeout: 60_000 }, async () => {
    const { stdout } = await doctor({ PIXELWRIGHT_HTTP_TOKEN: "short" }, ["--host", "0.0.0.0"]);
    expect(line(stdout, "token")).toMatch(/^ {2}✗ token: PIXELWRIGHT_HTTP_TOKEN has 5 characters/);
  });

  it("with PIXELWRIGHT_REDIS_URL: ✓ when Redis answers, ✗ with the fix when it does not, the password never shown", {
    timeout: 60_000,
  }, async () => {
    const redis = await startRedis();
    try {
      const withPassword = (url: string) => url.replace("redis://", "redis://pw:Zr8Kq2Lm5Nx7Vb4C@");
      const up = await doctor({ PIXELWRIGHT_REDIS_URL: redis.url });
      expect(line(up.stdout, "redis")).toMatch(/^ {2}✓ redis: Redis answers PING/);
      await redis.stop();
      const down = await doctor({ PIXELWRIGHT_REDIS_URL: withPassword(redis.url) });
      expect(line(down.stdout, "redis")).toMatch(
        /^ {2}✗ redis: cannot reach Redis at .* → fix: start Redis or fix PIXELWRIGHT_REDIS_URL/,
      );
      expect(down.code).toBe(1);
      expect(down.stdout).not.toContain("Zr8Kq2Lm");
    } finally {
      await redis.close();
    }
  });

  it("--json: the same checks as data, ok false when one failed", { timeout: 60_000 }, async () => {
    const { code, stdout } = await doctor({ OPENAI_API_KEY: WRONG_KEY, OPENAI_BASE_URL: sim.baseURL }, ["--json"]);
    const report = JSON.parse(stdout) as { ok: boolean; checks: Array<{ name: string; status: string; fix: string }> };
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.name === "key")).toMatchObject({
      status: "fail",
      fix: expect.stringMatching(/OPENAI_API_KEY/),
    });
    expect(code).toBe(1);
  });

  it("never prints a key or token, nor any 8-character piece of one, as text or JSON", {
    timeout: 60_000,
  }, async () => {
    const withToken = { PIXELWRIGHT_HTTP_TOKEN: TOKEN, OPENAI_BASE_URL: sim.baseURL };
    const runs = await Promise.all([
      doctor({ ...withToken, OPENAI_API_KEY: KEY }),
      doctor({ ...withToken, OPENAI_API_KEY: KEY }, ["--json"]),
      doctor({ ...withToken, OPENAI_API_KEY: WRONG_KEY }),
      doctor({ ...withToken, OPENAI_API_KEY: WRONG_KEY }, ["--json", "--host", "0.0.0.0"]),
      doctor({ OPENAI_API_KEY: KEY, OPENAI_BASE_URL: htmlURL }),
    ]);
    const all = runs.map((r) => r.stdout + r.stderr).join("\n");
    expect(all).toMatch(/sk-…7Q2z/);
    for (const secret of [KEY, WRONG_KEY, TOKEN]) {
      for (let i = 0; i + 8 <= secret.length; i++) expect(all).not.toContain(secret.slice(i, i + 8));
    }
  });
});
