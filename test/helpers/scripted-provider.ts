// A provider that answers exactly as a test scripts it, byte for byte, and counts the requests that reached it:
// for the edges the simulator's happy path does not show (stalls, [DONE], CR line endings, errors in a 200 ...).
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallToolResult, Client } from "@modelcontextprotocol/client";
import sharp from "sharp";
import { afterEach } from "vitest";
import { connectInProcess } from "../../src/cli/call.js";
import { type Config, loadConfig } from "../../src/config.js";
import type { GenerationResult } from "../../src/contract/schemas.js";
import { createLogger, type Logger } from "../../src/log.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";

/** Answers request number `n` (0-based). `body` is the parsed JSON request (or null for multipart). */
export type Reply = (res: ServerResponse, n: number, body: Record<string, unknown> | null) => void;

export interface Scripted {
  baseURL: string;
  /** Image requests that reached the provider. */
  calls: number;
  close(): Promise<void>;
}

export async function scriptedProvider(reply: Reply): Promise<Scripted> {
  const state = { calls: 0 };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => {
      const n = state.calls++;
      let body: Record<string, unknown> | null = null;
      try {
        body = JSON.parse(Buffer.concat(parts).toString("utf8"));
      } catch {
        body = null;
      }
      reply(res, n, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    get calls() {
      return state.calls;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export function png(width = 1024, height = 1024): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: "#468" } })
    .png()
    .toBuffer();
}

export const HEADERS = (rid: string, type = "application/json") => ({ "content-type": type, "x-request-id": rid });

/** An SSE stream of an Images API generation: one partial image, one completed image, then `tail`. */
export function imageStream(image: Buffer, eol = "\n", tail = ""): string {
  const b64 = image.toString("base64");
  return [
    `event: image_generation.partial_image${eol}data: {"type":"image_generation.partial_image","partial_image_index":0,"b64_json":"${b64}"}${eol}${eol}`,
    `event: image_generation.completed${eol}data: {"type":"image_generation.completed","b64_json":"${b64}","size":"1024x1024","usage":{"input_tokens":10,"input_tokens_details":{"text_tokens":10,"image_tokens":0},"output_tokens":100,"total_tokens":110}}${eol}${eol}`,
    tail,
  ].join("");
}

export interface Connected {
  client: Client;
  runtime: Runtime;
  workspace: string;
  generate(args: Record<string, unknown>): Promise<GenerationResult & { isError?: boolean; text: string }>;
  call(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  files(): string[];
  close(): Promise<void>;
}

/** The real server (real openai SDK upstream) pointed at a base URL, with a private workspace. */
export async function connectTo(
  baseURL: string,
  config: Partial<Config> = {},
  logger: Logger = createLogger("silent"),
): Promise<Connected> {
  const parent = mkdtempSync(join(tmpdir(), "pixelwright-money-"));
  const workspace = join(parent, "workspace");
  mkdirSync(workspace);
  const base = loadConfig({ env: { PIXELWRIGHT_WORKSPACE: workspace, OPENAI_API_KEY: "test-key" } });
  const runtime = await createRuntime({ ...base, baseURL, timeoutSeconds: 10, ...config }, logger, {
    retryBaseDelayMs: 20,
  });
  const { client, close } = await connectInProcess(runtime);
  const call = async (name: string, args: Record<string, unknown>) =>
    (await client.callTool({ name, arguments: args }, { timeout: 120_000 })) as CallToolResult;
  return {
    client,
    runtime,
    workspace,
    call,
    async generate(args) {
      const result = await call("generate_image", { return_image: "none", size: "1024x1024", ...args });
      const text = result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
      return { ...(result.structuredContent as GenerationResult), isError: result.isError === true, text };
    },
    files: () => readdirSync(workspace).filter((f) => f !== "manifest.jsonl" && f !== "jobs.jsonl"),
    async close() {
      await close();
      await runtime.close();
      rmSync(parent, { recursive: true, force: true });
    },
  };
}

/**
 * Sessions against scripted providers for one test file: each test's providers and clients are closed after it,
 * newest first. `defer` registers anything else to close.
 */
export function scriptedSessions() {
  let cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.reverse()) await fn();
    cleanup = [];
  });
  return {
    defer: (...fns: Array<() => Promise<void>>) => {
      cleanup.push(...fns);
    },
    async setUp(
      reply: (res: ServerResponse, n: number) => void,
      config: Partial<Config> = {},
      logger?: Logger,
    ): Promise<{ p: Scripted; s: Connected }> {
      const p = await scriptedProvider(reply);
      const s = await connectTo(p.baseURL, config, logger);
      cleanup.push(p.close, s.close);
      return { p, s };
    },
  };
}

/** An Images API answer carrying one image. */
export const okJson = (image: Buffer, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ created: 1, data: [{ b64_json: image.toString("base64") }], size: "1024x1024", ...extra });
