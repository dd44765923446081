// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the manifest names mcpb variables like ${__dirname}
// The MCP Bundle round trip, as CI runs it: npm run bundle's script builds pixelwright.mcpb (manifest validated by
// @anthropic-ai/mcpb), the bundle is unpacked into a temporary folder, and the unpacked copy serves the tools over
// stdio to the SDK client on the offline simulator.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv } from "../helpers/spawn.js";

const root = resolve(import.meta.dirname, "../..");
const mcpb = join(root, "node_modules", "@anthropic-ai", "mcpb", "dist", "cli", "cli.js");
const dir = mkdtempSync(join(tmpdir(), "pixelwright-mcpb-"));
const bundle = join(dir, "pixelwright.mcpb");
const unpacked = join(dir, "unpacked");

interface Manifest {
  manifest_version: string;
  server: { entry_point: string; mcp_config: { command: string; args: string[]; env: Record<string, string> } };
  tools: { name: string }[];
  compatibility: { platforms: string[]; runtimes: { node: string } };
  user_config: Record<string, { type: string; sensitive?: boolean }>;
}
let manifest: Manifest;

beforeAll(() => {
  execFileSync(process.execPath, [join(root, "scripts", "bundle.mjs"), bundle], { stdio: "ignore" });
  execFileSync(process.execPath, [mcpb, "unpack", bundle, unpacked], { stdio: "ignore" });
  manifest = JSON.parse(readFileSync(join(unpacked, "manifest.json"), "utf8"));
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("pixelwright.mcpb", () => {
  it("has a manifest the installed mcpb validates", () => {
    expect(() =>
      execFileSync(process.execPath, [mcpb, "validate", join(unpacked, "manifest.json")], { stdio: "pipe" }),
    ).not.toThrow();
    expect(manifest.manifest_version).toBe("0.4");
  });

  it("asks for the API key (sensitive), the image folder, the base URL and the profile", () => {
    expect(manifest.user_config.openai_api_key).toMatchObject({ type: "string", sensitive: true });
    expect(manifest.user_config.workspace?.type).toBe("directory");
    expect(Object.keys(manifest.user_config)).toEqual(
      expect.arrayContaining(["openai_api_key", "workspace", "base_url", "profile"]),
    );
    expect(manifest.compatibility.runtimes.node).toBe(">=22.13.0");
    expect(manifest.compatibility.platforms).toEqual([process.platform]);
  });

  it("carries the built server and its production dependencies (sharp with this platform's binary), not dev tools", () => {
    expect(existsSync(join(unpacked, manifest.server.entry_point))).toBe(true);
    expect(existsSync(join(unpacked, "node_modules", "sharp"))).toBe(true);
    expect(
      readdirSync(join(unpacked, "node_modules", "@img")).some((n) => n.startsWith(`sharp-${process.platform}`)),
    ).toBe(true);
    expect(existsSync(join(unpacked, "node_modules", "vitest"))).toBe(false);
    expect(existsSync(join(unpacked, "node_modules", "typescript"))).toBe(false);
  });

  it("lists the tools from the unpacked copy over stdio, the same tools the manifest names", async () => {
    const args = manifest.server.mcp_config.args.map((a) => a.replace("${__dirname}", unpacked));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args,
      env: cleanEnv({ PIXELWRIGHT_WORKSPACE: join(dir, "images") }),
      stderr: "pipe",
    });
    const client = new Client({ name: "bundle-test", version: "0" });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(manifest.tools.map((t) => t.name).sort());
      expect(tools.map((t) => t.name)).toContain("generate_image");
    } finally {
      await client.close();
    }
  });
});
