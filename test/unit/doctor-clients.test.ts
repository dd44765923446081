import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { maskSecret, systemChecks } from "../../src/cli/doctor-checks.js";
import { findClientEntries, parseJsonc } from "../../src/cli/doctor-clients.js";

function place() {
  const home = mkdtempSync(join(tmpdir(), "pixelwright-clients-"));
  const cwd = mkdtempSync(join(tmpdir(), "pixelwright-clients-cwd-"));
  const write = (path: string, text: string) => {
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, text);
  };
  return { home, cwd, write, places: { home, cwd, platform: "linux" as const, env: {} } };
}

describe("reading MCP client configs", () => {
  it("reads VS Code's settings.json with comments and trailing commas, strings with // untouched", () => {
    expect(parseJsonc('{\n  // a comment\n  "url": "http://x//y", /* more */ "a": [1, 2,],\n}')).toEqual({
      url: "http://x//y",
      a: [1, 2],
    });
  });

  it("reads Codex's [mcp_servers.<name>] tables, honouring CODEX_HOME", async () => {
    const { home, write, places } = place();
    const codexHome = join(home, "codex-elsewhere");
    write(
      join(codexHome, "config.toml"),
      'model = "x"\n[mcp_servers.pixelwright]\ncommand = "npx"\nargs = ["-y", "pixelwright"]\n[mcp_servers.other]\ncommand = "o"\n',
    );
    const { entries } = await findClientEntries({ ...places, env: { CODEX_HOME: codexHome } });
    expect(entries).toMatchObject([
      { client: "Codex", setup: "codex", name: "pixelwright", command: "npx", args: ["-y", "pixelwright"] },
    ]);
  });

  it("finds every entry that names pixelwright, by name or by command, and only those", async () => {
    const { home, cwd, write, places } = place();
    write(
      join(home, ".claude.json"),
      JSON.stringify({
        mcpServers: { other: { command: "other-server" } },
        projects: { "/p": { mcpServers: { images: { command: "node", args: ["/x/pixelwright/dist/cli.js"] } } } },
      }),
    );
    write(
      join(home, ".config", "Code", "User", "settings.json"),
      '{ "mcp": { "servers": { "pixelwright": { "command": "pixelwright" } } }, }',
    );
    write(
      join(cwd, ".vscode", "mcp.json"),
      JSON.stringify({ servers: { pw: { command: "npx", args: ["-y", "pixelwright"], env: { A: "1" } } } }),
    );
    const { entries } = await findClientEntries(places);
    expect(entries.map((e) => [e.client, e.name])).toEqual([
      ["Claude Code", "images"],
      ["VS Code", "pixelwright"],
      ["VS Code (project)", "pw"],
    ]);
    expect(entries[2]?.env).toEqual({ A: "1" });
  });

  it("reports a config that mentions pixelwright but is not valid JSON", async () => {
    const { home, write, places } = place();
    write(join(home, ".cursor", "mcp.json"), '{ "mcpServers": { "pixelwright": { "command": "npx" ');
    const { entries, unreadable } = await findClientEntries(places);
    expect(entries).toEqual([]);
    expect(unreadable).toMatchObject([{ client: "Cursor" }]);
  });
});

describe("showing a secret", () => {
  it("shows an sk- key as sk-… and its last 4 characters, a short one only by its length", () => {
    expect(maskSecret("sk-proj-abcdefghijklmnopqrstuvwxyz1234")).toBe("sk-…1234");
    expect(maskSecret("gateway-key-abcdefghijkl")).toBe("…ijkl");
    expect(maskSecret("short")).toBe("set (5 characters)");
    expect(maskSecret(undefined)).toBe("not set");
  });
});

describe("the sharp check", () => {
  it("names libvips' version when sharp loads", async () => {
    const checks = await systemChecks(async () => ({ sharp: "0.35.5", libvips: "8.18.7" }));
    expect(checks.find((c) => c.name === "sharp")).toMatchObject({
      status: "ok",
      detail: "sharp 0.35.5 loads, libvips 8.18.7",
    });
  });

  it("fails with the reinstall fix when sharp's platform binary is missing", async () => {
    const checks = await systemChecks(async () => {
      throw new Error('Could not load the "sharp" module using the linux-x64 runtime\nPossible solutions: ...');
    });
    expect(checks.find((c) => c.name === "sharp")).toMatchObject({
      status: "fail",
      detail: expect.stringMatching(
        /does not load on .*: Could not load the "sharp" module using the linux-x64 runtime$/,
      ),
      fix: expect.stringMatching(/npm install --include=optional sharp/),
    });
  });
});
