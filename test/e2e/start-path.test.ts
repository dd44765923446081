import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, runCli, spawnClient, tempWorkspace } from "../helpers/spawn.js";

const dist = dirname(CLI);
const workspace = tempWorkspace();

/** dist/cli.js (the launcher), the bundle it imports and every file that imports statically: what a start reads. */
function startPath(): Map<string, string> {
  const files = new Map<string, string>();
  const visit = (name: string) => {
    if (files.has(name)) return;
    const text = readFileSync(join(dist, name), "utf8");
    files.set(name, text);
    for (const match of text.matchAll(/^(?:import|export)\s[^;]*?from\s*"\.\/([^"]+)"/gms)) visit(match[1] as string);
    if (name === "cli.js") visit("cli-main.js");
  };
  visit("cli.js");
  return files;
}

describe("the built start path", () => {
  const clients: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const c of clients) await c.close();
  });

  it("is a launcher and one bundle with shared chunks beside it, none of which imports openai or sharp up front", () => {
    const files = startPath();
    expect(files.get("cli.js")).toContain('await import("./cli-main.js")');
    expect(files.size).toBeGreaterThan(1);
    // A handful of small chunks of code shared with the commands loaded on demand (call, tools, doctor, the runner…):
    // still one bundle's worth of files, not the hundreds of modules a start read before.
    expect(files.size).toBeLessThan(20);
    for (const [name, text] of files) {
      expect(name).toMatch(/^cli(-main|-chunk-[A-Z0-9]+)?\.js$/);
      expect(text).not.toMatch(/^import[^;]*from\s*"(openai|sharp)(\/[^"]*)?"/m);
    }
  });

  it("leaves the simulator and the HTTP transport out of it (they load on demand)", () => {
    const all = [...startPath().values()].join("\n");
    expect(all).not.toContain("function startSimulator(");
    expect(all).not.toContain("function serveHttp(");
    expect(all).toMatch(/import\("\.\/cli-server-[A-Z0-9]+\.js"\)/);
  });

  it("carries no source maps unless a build asks for them (PIXELWRIGHT_SOURCEMAPS=1)", () => {
    const maps = readdirSync(dist, { recursive: true }).filter((f) => String(f).endsWith(".map"));
    expect(maps).toEqual([]);
    for (const text of startPath().values()) expect(text).not.toMatch(/sourceMappingURL/);
  });

  it("loads openai and sharp in the background once the MCP handshake is done", async () => {
    const spawned = await spawnClient({ PIXELWRIGHT_WORKSPACE: workspace, PIXELWRIGHT_LOG_LEVEL: "debug" });
    clients.push(spawned);
    await expect
      .poll(() => spawned.stderr(), { timeout: 30_000, interval: 50 })
      .toContain("openai and sharp loaded ahead of the first image call");
  });

  it("does not load them for a one-shot validate_size call", async () => {
    const run = await runCli(["call", "validate_size", '{"size":"1920x1080"}'], {
      PIXELWRIGHT_WORKSPACE: workspace,
      PIXELWRIGHT_LOG_LEVEL: "debug",
    });
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain("loaded ahead of the first image call");
  });
});
