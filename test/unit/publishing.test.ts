// Ready to publish: server.json (the MCP registry's schema, 2025-12-11) names the npm package and version
// package.json carries, under the name package.json's mcpName claims; the settings it lists are the server's own.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { settingOrigins } from "../../src/config.js";

const root = join(import.meta.dirname, "../..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const server = JSON.parse(readFileSync(join(root, "server.json"), "utf8"));
const mcp = JSON.parse(readFileSync(join(root, "mcp.json"), "utf8"));

describe("server.json and package.json, for the MCP registry", () => {
  it("uses the registry's schema and a name package.json's mcpName matches", () => {
    expect(server.$schema).toBe("https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json");
    expect(server.name).toMatch(/^io\.github\.[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/);
    expect(pkg.mcpName).toBe(server.name);
    expect(server.description.length).toBeLessThanOrEqual(100);
  });

  it("names this npm package at this version, over stdio, and ships with it", () => {
    expect(server.version).toBe(pkg.version);
    expect(server.packages).toEqual([
      expect.objectContaining({
        registryType: "npm",
        identifier: pkg.name,
        version: pkg.version,
        transport: { type: "stdio" },
      }),
    ]);
    expect(pkg.files).toContain("server.json");
  });

  it("lists only settings the server reads, the key as a secret, none required", () => {
    const known = new Set(settingOrigins({}).map((s) => s.env));
    const variables = server.packages[0].environmentVariables as {
      name: string;
      isSecret?: boolean;
      isRequired: boolean;
    }[];
    for (const v of variables) {
      expect(known.has(v.name), v.name).toBe(true);
      expect(v.isRequired).toBe(false);
    }
    expect(variables.find((v) => v.name === "OPENAI_API_KEY")?.isSecret).toBe(true);
  });
});

describe("mcp.json", () => {
  it("starts a clone by absolute path (the package is not published yet), never npx", () => {
    const entry = mcp.mcpServers.pixelwright;
    expect(entry.command).toBe("node");
    expect(entry.args).toEqual(["/absolute/path/to/pixelwright/dist/cli.js"]);
    expect(JSON.stringify(mcp)).not.toContain("npx");
  });
});

describe("the one-click bundle", () => {
  it("is built by npm run bundle, never committed: git tracks no *.mcpb", () => {
    const tracked = execFileSync("git", ["ls-files", "*.mcpb", "**/*.mcpb"], { cwd: root, encoding: "utf8" });
    expect(tracked.trim()).toBe("");
    expect(readFileSync(join(root, ".gitignore"), "utf8")).toMatch(/^\*\.mcpb$/m);
  });
});
