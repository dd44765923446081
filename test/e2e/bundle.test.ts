// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the manifest names mcpb variables like ${__dirname}
// The MCP Bundle round trip, as a person installs it: the bundle script (what `npm run bundle` runs after the build)
// makes pixelwright.mcpb (manifest validated by @anthropic-ai/mcpb), the bundle is unpacked, mcpb's own resolver
// (getMcpConfigForManifest) turns the manifest into the command a host runs with every optional setting unset, and
// that command serves a verified image to the SDK client on the offline simulator, writing nothing under a folder
// named after an unexpanded ${...} placeholder.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { getMcpConfigForManifest } from "@anthropic-ai/mcpb";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv } from "../helpers/spawn.js";

const root = resolve(import.meta.dirname, "../..");
const mcpb = join(root, "node_modules", "@anthropic-ai", "mcpb", "dist", "cli", "cli.js");
const dir = mkdtempSync(join(tmpdir(), "pixelwright-mcpb-"));
const bundle = join(dir, "pixelwright.mcpb");
const unpacked = join(dir, "unpacked");

interface Manifest {
  manifest_version: string;
  icon: string;
  server: { entry_point: string; mcp_config: { command: string; args: string[]; env: Record<string, string> } };
  tools: { name: string }[];
  compatibility: { platforms: string[]; runtimes: { node: string } };
  user_config: Record<string, { type: string; sensitive?: boolean; required?: boolean; default?: unknown }>;
}
let manifest: Manifest;

beforeAll(() => {
  execFileSync(process.execPath, [join(root, "scripts", "bundle.mjs"), bundle], { stdio: "ignore" });
  execFileSync(process.execPath, [mcpb, "unpack", bundle, unpacked], { stdio: "ignore" });
  manifest = JSON.parse(readFileSync(join(unpacked, "manifest.json"), "utf8"));
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every file and folder name below `folder`, recursively. */
function namesBelow(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: "utf8" });
}

describe("pixelwright.mcpb", () => {
  it("has a manifest the installed mcpb validates", () => {
    expect(() =>
      execFileSync(process.execPath, [mcpb, "validate", join(unpacked, "manifest.json")], { stdio: "pipe" }),
    ).not.toThrow();
    expect(manifest.manifest_version).toBe("0.4");
  });

  it("asks for the API key (sensitive), the image folder, the base URL and the profile, each optional with an empty default", () => {
    expect(manifest.user_config.openai_api_key).toMatchObject({ type: "string", sensitive: true });
    expect(manifest.user_config.workspace?.type).toBe("directory");
    expect(Object.keys(manifest.user_config).sort()).toEqual(["base_url", "openai_api_key", "profile", "workspace"]);
    for (const field of Object.values(manifest.user_config))
      expect(field).toMatchObject({ required: false, default: "" });
    expect(JSON.stringify(manifest)).not.toContain("${HOME}");
    expect(manifest.compatibility.runtimes.node).toBe(">=22.13.0");
  });

  it("declares exactly the platforms whose sharp binaries it carries", () => {
    const carried = readdirSync(join(unpacked, "node_modules", "@img"))
      .map((n) => /^sharp-(darwin|linux|win32)-/.exec(n)?.[1])
      .filter((p): p is string => p !== undefined);
    expect(manifest.compatibility.platforms).toEqual([...new Set(carried)].sort());
    expect(manifest.compatibility.platforms).toContain(process.platform);
  });

  it("carries the built server, its production dependencies and its icon, not dev tools", async () => {
    expect(existsSync(join(unpacked, manifest.server.entry_point))).toBe(true);
    expect(existsSync(join(unpacked, "node_modules", "sharp"))).toBe(true);
    expect(existsSync(join(unpacked, "node_modules", "vitest"))).toBe(false);
    expect(existsSync(join(unpacked, "node_modules", "@modelcontextprotocol", "sdk"))).toBe(false);
    expect(await sharp(join(unpacked, manifest.icon)).metadata()).toMatchObject({ format: "png", width: 256 });
  });

  it("resolved by mcpb with every optional setting unset, starts, lists the manifest's tools and makes a verified image in the default folder; nothing lands under a ${...} folder", async () => {
    const home = join(dir, "home");
    const cwd = join(dir, "host-cwd");
    mkdirSync(join(home, "Pictures"), { recursive: true });
    mkdirSync(cwd);
    const config = await getMcpConfigForManifest({
      manifest: manifest as unknown as Parameters<typeof getMcpConfigForManifest>[0]["manifest"],
      extensionPath: unpacked,
      systemDirs: { HOME: home, DESKTOP: join(home, "Desktop"), DOCUMENTS: join(home, "Documents") },
      userConfig: {},
      pathSeparator: "/",
    });
    if (!config) throw new Error("mcpb resolved no server config");
    expect(JSON.stringify(config)).not.toContain("${");
    const transport = new StdioClientTransport({
      command: config.command,
      args: config.args ?? [],
      env: { ...cleanEnv({ HOME: home }), ...config.env },
      cwd,
      stderr: "pipe",
    });
    const client = new Client({ name: "bundle-test", version: "0" });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(manifest.tools.map((t) => t.name).sort());
      const result = await client.callTool({
        name: "generate_image",
        arguments: { prompt: "a bundle", size: "1024x1024", return_image: "none" },
      });
      const image = (result.structuredContent as { images: { path: string; verified: boolean }[] }).images[0];
      expect(image?.verified).toBe(true);
      expect(image?.path.startsWith(join(home, "Pictures", "pixelwright"))).toBe(true);
    } finally {
      await client.close();
    }
    expect(namesBelow(cwd)).toEqual([]);
    expect(namesBelow(home).filter((name) => name.includes("${"))).toEqual([]);
  });
});
