// The clients people actually use drive all four tools against the built server: the SDK v1 client (today's hosts),
// the SDK v2 client on 2025-11-25 and on 2026-07-28, over stdio and over HTTP; the Inspector CLI over stdio and
// HTTP; and mcp-remote, the stdio-to-HTTP proxy local-only hosts use to reach a remote server.

import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { Client as V2Client, StreamableHTTPClientTransport as V2HttpTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport as V2StdioTransport } from "@modelcontextprotocol/client/stdio";
import { Client as V1Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport as V1StdioTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport as V1HttpTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HttpServerProcess, spawnHttp } from "../helpers/http.js";
import { CLI, cleanEnv, tempWorkspace } from "../helpers/spawn.js";

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, "../../node_modules/.bin");

let workspace: string;
let http: HttpServerProcess;
beforeAll(async () => {
  workspace = tempWorkspace();
  http = await spawnHttp({ PIXELWRIGHT_WORKSPACE: workspace, PIXELWRIGHT_OFFLINE: "1" });
});
afterAll(async () => {
  await http.stop();
  rmSync(workspace, { recursive: true, force: true });
});

/** What every client does, in this order: the four tools, each result read from structuredContent. */
interface Caller {
  call(name: string, args: Record<string, unknown>): Promise<{ structuredContent?: unknown; isError?: boolean }>;
  close(): Promise<void>;
}

async function driveAllFour(caller: Caller): Promise<void> {
  try {
    const valid = await caller.call("validate_size", { size: "1920x1080" });
    expect(valid.structuredContent).toMatchObject({
      ok: false,
      suggestions: expect.arrayContaining([expect.objectContaining({ size: "1920x1088" })]),
    });
    const made = await caller.call("generate_image", { prompt: "four tools", size: "1024x1024", return_image: "none" });
    const generated = made.structuredContent as { status: string; job_id: string; images: { path: string }[] };
    expect(generated.status).toBe("completed");
    const verified = await caller.call("verify_image", { job_id: generated.job_id, return_image: "none" });
    expect(verified.structuredContent).toMatchObject({ status: "verified" });
    const path = generated.images[0]?.path as string;
    const upscaled = await caller.call("upscale_image", { path, size: "2048x2048", return_image: "none" });
    expect(upscaled.structuredContent).toMatchObject({ status: "verified", image: { width: 2048, height: 2048 } });
  } finally {
    await caller.close();
  }
}

const stdioEnv = () => cleanEnv({ PIXELWRIGHT_WORKSPACE: workspace, PIXELWRIGHT_OFFLINE: "1" });

function fromClient(client: { callTool: (...a: never[]) => Promise<unknown>; close(): Promise<void> }): Caller {
  const callTool = client.callTool.bind(client) as (p: {
    name: string;
    arguments: Record<string, unknown>;
  }) => Promise<{
    structuredContent?: unknown;
    isError?: boolean;
  }>;
  return { call: (name, args) => callTool({ name, arguments: args }), close: () => client.close() };
}

describe("the SDK v1 client (@modelcontextprotocol/sdk 1.x)", () => {
  it("drives all four tools over stdio", async () => {
    const client = new V1Client({ name: "v1", version: "1" });
    await client.connect(new V1StdioTransport({ command: process.execPath, args: [CLI], env: stdioEnv() }));
    await driveAllFour(fromClient(client));
  });

  it("drives all four tools over HTTP", async () => {
    const client = new V1Client({ name: "v1", version: "1" });
    await client.connect(new V1HttpTransport(new URL(http.url)));
    await driveAllFour(fromClient(client));
  });
});

describe.each([
  ["2025-11-25", "legacy", {}],
  ["2026-07-28", "modern", { versionNegotiation: { mode: { pin: "2026-07-28" } } }],
] as const)("the SDK v2 client on %s", (_version, era, options) => {
  it("drives all four tools over stdio", async () => {
    const client = new V2Client({ name: "v2", version: "2" }, options);
    await client.connect(new V2StdioTransport({ command: process.execPath, args: [CLI], env: stdioEnv() }));
    expect(client.getProtocolEra()).toBe(era);
    await driveAllFour(fromClient(client));
  });

  it("drives all four tools over HTTP", async () => {
    const client = new V2Client({ name: "v2", version: "2" }, options);
    await client.connect(new V2HttpTransport(new URL(http.url)));
    expect(client.getProtocolEra()).toBe(era);
    await driveAllFour(fromClient(client));
  });
});

/** One call through the Inspector CLI (`inspector --cli`), the result parsed from its stdout. */
async function inspectorCall(target: string[], name: string, args: Record<string, unknown>) {
  const pairs = Object.entries(args).map(([k, v]) => `${k}=${String(v)}`);
  const { stdout } = await run(
    join(BIN, "inspector"),
    ["--cli", ...target, "--method", "tools/call", "--tool-name", name, "--tool-arg", ...pairs],
    { env: { ...stdioEnv(), MCP_CATALOG_PATH: join(workspace, "inspector-catalog.json") }, timeout: 60_000 },
  );
  return JSON.parse(stdout) as { structuredContent?: unknown; isError?: boolean };
}

describe("the Inspector CLI (@modelcontextprotocol/inspector --cli)", () => {
  it("drives all four tools over stdio", async () => {
    const target = ["-e", `PIXELWRIGHT_WORKSPACE=${workspace}`, "-e", "PIXELWRIGHT_OFFLINE=1", process.execPath, CLI];
    await driveAllFour({ call: (name, args) => inspectorCall(target, name, args), close: async () => {} });
  });

  it("drives all four tools over HTTP", async () => {
    await driveAllFour({ call: (name, args) => inspectorCall([http.url], name, args), close: async () => {} });
  });
});

describe("mcp-remote (a stdio host reaching the HTTP server through the proxy)", () => {
  it("drives all four tools", async () => {
    const client = new V1Client({ name: "behind-mcp-remote", version: "1" });
    await client.connect(
      new V1StdioTransport({
        command: process.execPath,
        args: [join(BIN, "../mcp-remote/dist/proxy.js"), http.url, "--allow-http", "--transport", "http-only"],
        env: { ...stdioEnv(), MCP_REMOTE_CONFIG_DIR: join(workspace, "mcp-remote") },
        stderr: "ignore",
      }),
    );
    await driveAllFour(fromClient(client));
  });
});
