import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { parse as parseToml } from "smol-toml";
import { afterEach, describe, expect, it } from "vitest";
import { CLIENTS, type ClientName, configPath, launchFor } from "../../src/cli/setup.js";
import { CLI, cleanEnv, runCli } from "../helpers/spawn.js";

const homes: string[] = [];
function tempHome(): string {
  const home = mkdtempSync(join(tmpdir(), "pixelwright-home-"));
  homes.push(home);
  return home;
}
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

/** The client config folders all under the temporary HOME, whatever the developer's shell sets. */
const homeEnv = (home: string) => ({
  HOME: home,
  XDG_CONFIG_HOME: join(home, ".config"),
  CODEX_HOME: join(home, ".codex"),
  APPDATA: join(home, "AppData", "Roaming"),
});
const setup = (home: string, ...args: string[]) => runCli(["setup", ...args], homeEnv(home));
const fileOf = (home: string, client: ClientName) =>
  configPath(client, {
    home,
    platform: process.platform,
    appData: join(home, "AppData", "Roaming"),
    xdgConfigHome: join(home, ".config"),
    codexHome: join(home, ".codex"),
  });

/** The pixelwright entry as the client will read it, whatever the file format. */
type Entry = { command: string; args: string[]; env?: Record<string, string> };
function entryIn(client: ClientName, text: string): Entry {
  if (client === "codex")
    return (parseToml(text) as unknown as { mcp_servers: { pixelwright: Entry } }).mcp_servers.pixelwright;
  const doc = JSON.parse(text);
  return (client === "vscode" ? doc.servers : doc.mcpServers).pixelwright;
}

describe("pixelwright setup <client> --write, against a temporary HOME", () => {
  for (const client of CLIENTS) {
    it(`${client}: writes a config that parses and starts this clone's dist/cli.js with an existing node`, async () => {
      const home = tempHome();
      const run = await setup(home, client, "--write");
      expect(run.code, run.stderr).toBe(0);
      const entry = entryIn(client, readFileSync(fileOf(home, client), "utf8"));
      expect(existsSync(entry.command)).toBe(true);
      expect(entry.args).toEqual([CLI]);
      expect(existsSync(entry.args[0] as string)).toBe(true);
      expect(entry.env).toBeUndefined();
    });

    it(`${client}: a second run changes nothing and keeps no second backup`, async () => {
      const home = tempHome();
      await setup(home, client, "--write");
      const path = fileOf(home, client);
      const before = readFileSync(path, "utf8");
      const second = await setup(home, client, "--write");
      expect(second.code).toBe(0);
      expect(second.stdout).toContain("nothing changed");
      expect(readFileSync(path, "utf8")).toBe(before);
      expect(readdirSync(dirname(path)).filter((f) => f.endsWith(".bak"))).toEqual([]);
    });

    it(`${client}: a config file that does not parse is refused with a clear error and left untouched`, async () => {
      const home = tempHome();
      const path = fileOf(home, client);
      mkdirSync(dirname(path), { recursive: true });
      const broken = client === "codex" ? '[mcp_servers.other\ncommand = "x"\n' : '{"mcpServers": {"other": ';
      writeFileSync(path, broken);
      const run = await setup(home, client, "--write");
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`${path} does not parse`);
      expect(run.stderr).toContain("left untouched");
      expect(readFileSync(path, "utf8")).toBe(broken);
      expect(readdirSync(dirname(path)).filter((f) => f.endsWith(".bak"))).toEqual([]);
    });
  }

  it("other servers and settings in the file are kept, and the old file is backed up", async () => {
    const home = tempHome();
    const path = fileOf(home, "claude-desktop");
    mkdirSync(dirname(path), { recursive: true });
    const old = { globalShortcut: "Ctrl+Space", mcpServers: { other: { command: "other-server", args: ["--x"] } } };
    writeFileSync(path, JSON.stringify(old));
    expect((await setup(home, "claude-desktop", "--write")).code).toBe(0);
    const doc = JSON.parse(readFileSync(path, "utf8"));
    expect(doc.globalShortcut).toBe("Ctrl+Space");
    expect(doc.mcpServers.other).toEqual(old.mcpServers.other);
    expect(doc.mcpServers.pixelwright.args).toEqual([CLI]);
    const backups = readdirSync(dirname(path)).filter((f) => f.endsWith(".bak"));
    expect(backups).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(dirname(path), backups[0] as string), "utf8"))).toEqual(old);
  });

  it("codex: other TOML tables and comments are kept byte for byte", async () => {
    const home = tempHome();
    const path = fileOf(home, "codex");
    mkdirSync(dirname(path), { recursive: true });
    const old = '# my settings\nmodel = "o3"\n\n[mcp_servers.other]\ncommand = "other"\nargs = ["a"]\n';
    writeFileSync(path, old);
    expect((await setup(home, "codex", "--write", "--env", "PIXELWRIGHT_LOG_LEVEL=info")).code).toBe(0);
    const text = readFileSync(path, "utf8");
    expect(text.startsWith(old)).toBe(true);
    const doc = parseToml(text) as { mcp_servers: Record<string, { env?: Record<string, string> }> };
    expect(doc.mcp_servers.pixelwright?.env).toEqual({ PIXELWRIGHT_LOG_LEVEL: "info" });
  });

  it("the API key is never written from the environment, only when passed with --env", async () => {
    const home = tempHome();
    const inherited = await runCli(["setup", "cursor", "--write"], {
      HOME: home,
      OPENAI_API_KEY: "sk-from-shell-1234",
    });
    expect(inherited.code).toBe(0);
    expect(readFileSync(fileOf(home, "cursor"), "utf8")).not.toContain("sk-from");
    expect(inherited.stdout).toContain("No API key is written");
    await setup(home, "cursor", "--write", "--env", "OPENAI_API_KEY=sk-explicit-5678");
    expect(entryIn("cursor", readFileSync(fileOf(home, "cursor"), "utf8")).env).toEqual({
      OPENAI_API_KEY: "sk-explicit-5678",
    });
  });

  it.each([
    ["PIXELWRIGHT_WORKSPCE=/tmp/pictures", "PIXELWRIGHT_WORKSPCE: not a setting. Did you mean PIXELWRIGHT_WORKSPACE?"],
    ["PIXELWRIGHT_MAX_SPEND=1", "PIXELWRIGHT_MAX_SPEND: not a setting. Did you mean PIXELWRIGHT_MAX_SPEND_USD?"],
  ])("--env %s: refused with the setting it is close to, exit 2, nothing written", async (pair, sentence) => {
    const home = tempHome();
    const run = await setup(home, "cursor", "--write", "--env", pair);
    expect(run.stderr).toContain(sentence);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(run.code).toBe(2);
    expect(existsSync(fileOf(home, "cursor"))).toBe(false);
  });

  it("a misspelt setting in the shell: the entry is printed, with a note naming the setting it is close to", async () => {
    const home = tempHome();
    const run = await runCli(["setup", "cursor"], { ...homeEnv(home), PIXELWRIGHT_WORKSPCE: "/tmp/pictures" });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Note: PIXELWRIGHT_WORKSPCE: not a setting. Did you mean PIXELWRIGHT_WORKSPACE?");
  });

  it("claude-code: prints the exact `claude mcp add` command", async () => {
    const run = await setup(tempHome(), "claude-code");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`claude mcp add --scope user pixelwright -- ${process.execPath} ${CLI}`);
  });

  it("an unknown client is refused with the list of clients", async () => {
    const run = await setup(tempHome(), "notepad");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown client 'notepad'");
    expect(run.stderr).toContain(CLIENTS.join(", "));
  });

  it("claude-desktop: the written config starts a server that lists the tools", async () => {
    const home = tempHome();
    await setup(home, "claude-desktop", "--write");
    const entry = entryIn("claude-desktop", readFileSync(fileOf(home, "claude-desktop"), "utf8"));
    const workspace = join(home, "images");
    const transport = new StdioClientTransport({
      command: entry.command,
      args: entry.args,
      env: cleanEnv({ ...homeEnv(home), PIXELWRIGHT_WORKSPACE: workspace }),
      stderr: "pipe",
    });
    const client = new Client({ name: "setup-test", version: "0" });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain("generate_image");
    } finally {
      await client.close();
    }
  });
});

describe("pixelwright setup gemini", () => {
  it("prints the mcpServers entry and says the folder must be trusted", async () => {
    const home = tempHome();
    const run = await setup(home, "gemini");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Add to ${join(home, ".gemini", "settings.json")}:`);
    expect(run.stdout).toMatch(
      /Gemini CLI starts MCP servers only in folders you trust: start `gemini` in the folder you work in and run `\/permissions trust`/,
    );
    const block = run.stdout.slice(run.stdout.indexOf("{"), run.stdout.lastIndexOf("}") + 1);
    expect(JSON.parse(block)).toEqual({ mcpServers: { pixelwright: { command: process.execPath, args: [CLI] } } });
  });

  it("writes an entry Gemini CLI accepts: `gemini mcp list` connects to it in a trusted folder", {
    timeout: 120_000,
  }, async () => {
    const home = tempHome();
    const project = join(home, "project");
    mkdirSync(project);
    expect((await setup(home, "gemini", "--write", "--env", "PIXELWRIGHT_OFFLINE=1")).code).toBe(0);
    // The trust `/permissions trust` would record (Gemini CLI suppresses every MCP server in an untrusted folder).
    writeFileSync(join(home, ".gemini", "trustedFolders.json"), JSON.stringify({ [project]: "TRUST_FOLDER" }));
    const gemini = join(import.meta.dirname, "../../node_modules/.bin/gemini");
    const listed = await new Promise<string>((resolve) => {
      const child = spawn(gemini, ["mcp", "list"], {
        cwd: project,
        env: cleanEnv({ ...homeEnv(home), PIXELWRIGHT_WORKSPACE: join(home, "images") }),
      });
      let out = "";
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
      });
      child.stderr.on("data", (c: Buffer) => {
        out += c.toString();
      });
      child.on("close", () => resolve(out));
    });
    expect(listed).toMatch(/✓ pixelwright: .*dist\/cli\.js \(stdio\) - Connected/);
  });
});

describe("the entry's command", () => {
  it("is this node on the installed copy's own entry point by absolute path, never npx of an unpublished package", () => {
    const pkg = join(tempHome(), "node_modules", "pixelwright");
    mkdirSync(join(pkg, "dist"), { recursive: true });
    const launch = launchFor(join(pkg, "dist", "..", "dist", "cli.js"), {}, "/usr/bin/node");
    expect(launch).toEqual({ command: "/usr/bin/node", args: [join(pkg, "dist", "cli.js")], env: {} });
  });

  it("uses each OS's Claude Desktop folder", () => {
    expect(configPath("claude-desktop", { home: "/Users/a", platform: "darwin" })).toBe(
      "/Users/a/Library/Application Support/Claude/claude_desktop_config.json",
    );
    expect(configPath("claude-desktop", { home: "/home/a", platform: "linux" })).toBe(
      "/home/a/.config/Claude/claude_desktop_config.json",
    );
    expect(
      configPath("claude-desktop", {
        home: "C:\\Users\\a",
        platform: "win32",
        appData: "C:\\Users\\a\\AppData\\Roaming",
      }),
    ).toBe("C:\\Users\\a\\AppData\\Roaming\\Claude\\claude_desktop_config.json");
  });
});

describe("a read-only client config (mode 0444)", () => {
  it("is refused with what to do, and left untouched (no rename over it, no backup)", async () => {
    const home = tempHome();
    const path = fileOf(home, "cursor");
    mkdirSync(dirname(path), { recursive: true });
    const old = JSON.stringify({ mcpServers: { other: { command: "other-server" } } });
    writeFileSync(path, old, { mode: 0o444 });
    const run = await setup(home, "cursor", "--write");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${path} is read-only (mode 0444); it was left untouched`);
    expect(run.stderr).toContain("chmod u+w");
    expect(readFileSync(path, "utf8")).toBe(old);
    expect(statSync(path).mode & 0o777).toBe(0o444);
    expect(readdirSync(dirname(path)).filter((f) => f !== basename(path))).toEqual([]);
  });
});
