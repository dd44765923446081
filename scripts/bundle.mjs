#!/usr/bin/env node
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: mcpb substitutes ${__dirname} and ${user_config.*} itself
// npm run bundle: builds pixelwright.mcpb, an MCP Bundle for one-click install in Claude Desktop.
// Stages dist/ + package.json + production node_modules (npm ci --omit=dev) in a temporary folder, writes
// manifest.json (its tools listed from the built server itself, the platforms it carries sharp binaries for, the
// icon) and packs it with @anthropic-ai/mcpb after validating it. Every optional setting defaults to "" (never a
// ${HOME} path: mcpb does not expand variables inside a default, and the server treats "" as unset).
// Usage: node scripts/bundle.mjs [output.mcpb]
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import sharp from "sharp";

const root = resolve(import.meta.dirname, "..");
const output = resolve(process.argv[2] ?? join(root, "pixelwright.mcpb"));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const mcpb = join(root, "node_modules", "@anthropic-ai", "mcpb", "dist", "cli", "cli.js");
const log = (line) => process.stderr.write(`bundle: ${line}\n`);

/** The tools as the built server lists them (name and title), so the manifest cannot drift from the code. */
async function listTools(cli, workspace) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cli],
    env: { PATH: process.env.PATH ?? "", PIXELWRIGHT_WORKSPACE: workspace, PIXELWRIGHT_LOG_LEVEL: "warn" },
    stderr: "ignore",
  });
  const client = new Client({ name: "pixelwright-bundle", version: pkg.version });
  await client.connect(transport);
  try {
    return (await client.listTools()).tools.map((t) => ({ name: t.name, description: t.title ?? t.name }));
  } finally {
    await client.close();
  }
}

/** The platforms the staged sharp binaries (node_modules/@img/sharp-<platform>-<arch>) run on. */
function platformsOf(stage) {
  const img = join(stage, "node_modules", "@img");
  const names = existsSync(img) ? readdirSync(img) : [];
  const platforms = [...new Set(names.map((n) => /^sharp-(darwin|linux|win32)-/.exec(n)?.[1]).filter(Boolean))];
  if (platforms.length === 0) throw new Error(`no sharp binary in ${img}: the bundle could run nowhere`);
  return platforms.sort();
}

function manifest(tools, platforms) {
  return {
    manifest_version: "0.4",
    name: "pixelwright",
    display_name: "pixelwright",
    version: pkg.version,
    description: pkg.description,
    long_description:
      "Generates images with OpenAI GPT image models (native 4K included), checks every size before the paid call, saves every image into a workspace folder, measures the saved file and reports the truth. Without an API key it runs an offline simulator.",
    author: { name: "pixelwright contributors" },
    license: pkg.license,
    keywords: pkg.keywords,
    icon: "icon.png",
    server: {
      type: "node",
      entry_point: "dist/cli.js",
      mcp_config: {
        command: "node",
        args: ["${__dirname}/dist/cli.js"],
        env: {
          OPENAI_API_KEY: "${user_config.openai_api_key}",
          PIXELWRIGHT_WORKSPACE: "${user_config.workspace}",
          OPENAI_BASE_URL: "${user_config.base_url}",
          PIXELWRIGHT_PROFILE: "${user_config.profile}",
        },
      },
    },
    tools,
    tools_generated: false,
    compatibility: {
      // Exactly the platforms whose sharp binaries are inside (npm installs the building machine's only).
      platforms,
      runtimes: { node: pkg.engines.node },
    },
    user_config: {
      openai_api_key: {
        type: "string",
        title: "OpenAI API key",
        description:
          "Your OpenAI (or gateway) API key. Leave empty to run the offline simulator (placeholder images, no cost).",
        sensitive: true,
        required: false,
        default: "",
      },
      workspace: {
        type: "directory",
        title: "Image folder",
        description:
          "Where generated images and their production records are saved. Empty: Pictures/pixelwright in your home folder (or pixelwright there without a Pictures folder).",
        default: "",
        required: false,
      },
      base_url: {
        type: "string",
        title: "Base URL",
        description: "An OpenAI-compatible endpoint (a gateway); empty for OpenAI.",
        required: false,
        default: "",
      },
      profile: {
        type: "string",
        title: "Gateway profile",
        description: "A named gateway profile (see the README); empty to choose from the base URL.",
        required: false,
        default: "",
      },
    },
  };
}

function sizeOf(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}

async function main() {
  if (!existsSync(join(root, "dist", "cli.js"))) execFileSync(npm, ["run", "build"], { cwd: root, stdio: "inherit" });
  const stage = mkdtempSync(join(tmpdir(), "pixelwright-bundle-"));
  try {
    cpSync(join(root, "dist"), join(stage, "dist"), { recursive: true });
    for (const file of ["package.json", "package-lock.json", "README.md"]) cpSync(join(root, file), join(stage, file));
    log("installing production dependencies (npm ci --omit=dev)");
    execFileSync(npm, ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund"], {
      cwd: stage,
      stdio: ["ignore", "ignore", "inherit"],
    });
    const tools = await listTools(join(stage, "dist", "cli.js"), join(stage, ".tools-workspace"));
    rmSync(join(stage, ".tools-workspace"), { recursive: true, force: true });
    await sharp(join(root, "assets", "icon.svg"), { density: 384 })
      .resize(256, 256)
      .png()
      .toFile(join(stage, "icon.png"));
    const platforms = platformsOf(stage);
    writeFileSync(join(stage, "manifest.json"), `${JSON.stringify(manifest(tools, platforms), null, 2)}\n`);
    execFileSync(process.execPath, [mcpb, "validate", join(stage, "manifest.json")], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    rmSync(output, { force: true });
    execFileSync(process.execPath, [mcpb, "pack", stage, output], { stdio: ["ignore", "ignore", "inherit"] });
    const mb = (n) => `${(n / 1_048_576).toFixed(1)} MiB`;
    log(`tools: ${tools.map((t) => t.name).join(", ")}`);
    log(`platforms: ${platforms.join(", ")} (sharp binaries inside; build on each platform for its own bundle)`);
    log(`unpacked ${mb(sizeOf(stage))}, bundle ${mb(statSync(output).size)}: ${output}`);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bundle: ${err?.stack ?? err}\n`);
  process.exitCode = 1;
});
