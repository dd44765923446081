import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GenerationResult } from "../../src/contract/results.js";
import { type Simulator, startSimulator } from "../../src/simulator/server.js";
import { type HttpServerProcess, httpClient, raw, spawnHttp } from "../helpers/http.js";
import { runCli, tempWorkspace } from "../helpers/spawn.js";

const TOKEN = "tok-e2e-0123456789abcdef";
const KEY = "sk-e2e-secret-key-do-not-leak-42";
let sim: Simulator;
let server: HttpServerProcess;
const workspace = tempWorkspace();
/** A read root with a real PNG in it: a local server may read it, a remote caller never. */
const readRoot = tempWorkspace();

beforeAll(async () => {
  const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: "#468" } })
    .png()
    .toBuffer();
  writeFileSync(join(readRoot, "outside.png"), png);
  writeFileSync(join(workspace, "inside.png"), png);
  sim = await startSimulator({ apiKey: KEY });
  server = await spawnHttp({
    PIXELWRIGHT_WORKSPACE: workspace,
    PIXELWRIGHT_READ_ROOTS: readRoot,
    PIXELWRIGHT_HTTP_TOKEN: TOKEN,
    OPENAI_API_KEY: KEY,
    OPENAI_BASE_URL: sim.baseURL,
    PIXELWRIGHT_MAX_CONCURRENCY: "4",
    PIXELWRIGHT_LOG_LEVEL: "debug",
  });
});
afterAll(async () => {
  await server.stop();
  await sim.close();
});
beforeEach(() => sim.reset());

const mcpPost = (headers: Record<string, string> = {}, body = "{}") =>
  raw(server.url, {
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body,
  });

describe("Streamable HTTP with the SDK client and the token", () => {
  it("lists tools, validates, generates with progress over SSE, and collects a job across two requests", async () => {
    const client = await httpClient(server.url, TOKEN);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual([
        "validate_size",
        "generate_image",
        "generate_batch",
        "verify_image",
        "upscale_image",
      ]);
      const size = await client.callTool({ name: "validate_size", arguments: { size: "1920x1080" } });
      expect(size.structuredContent).toMatchObject({ ok: false });

      sim.setLatency(1500);
      const messages: string[] = [];
      const started = (await client.callTool(
        { name: "generate_image", arguments: { prompt: "over http", wait_seconds: 0.3, partial_images: 1 } },
        undefined,
        { onprogress: (p) => messages.push(p.message ?? "") },
      )) as CallToolResult;
      const running = started.structuredContent as unknown as GenerationResult;
      expect(running.status).toBe("running");
      expect(messages.length).toBeGreaterThan(0);

      const collected = await client.callTool({
        name: "verify_image",
        arguments: { job_id: running.job_id, wait_seconds: 30 },
      });
      expect(collected.structuredContent).toMatchObject({
        status: "verified",
        images: [{ width: 1024, height: 1024 }],
      });
      expect(sim.stats.imageRequests).toBe(1);
    } finally {
      await client.close();
    }
  });

  it("limits file inputs to the workspace for remote callers, read roots included", async () => {
    const client = await httpClient(server.url, TOKEN);
    try {
      const verify = async (path: string) =>
        (await client.callTool({ name: "verify_image", arguments: { path, return_image: "none" } })) as CallToolResult;
      // The same image inside the workspace is read and measured: the refusal is about where, not what.
      expect((await verify("inside.png")).structuredContent).toMatchObject({ images: [{ width: 64, height: 48 }] });
      const refused = await verify(join(readRoot, "outside.png"));
      expect(refused.isError).toBe(true);
      expect(JSON.stringify(refused.content)).toMatch(/outside the folders this server may read/);
    } finally {
      await client.close();
    }
  });

  it("answers /healthz without secrets", async () => {
    const res = await raw(server.url.replace("/mcp", "/healthz"), { method: "GET" });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ ok: true });
    expect(res.body).not.toContain(TOKEN);
    expect(res.body).not.toContain(KEY);
  });
});

describe("HTTP access control", () => {
  const init = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
  });

  it.each([
    ["no token", {}, 401],
    ["a wrong token", { authorization: "Bearer wrong-token" }, 401],
    ["a bad Host", { authorization: `Bearer ${TOKEN}`, host: "evil.example:80" }, 403],
    ["an unknown Origin", { authorization: `Bearer ${TOKEN}`, origin: "https://evil.example" }, 403],
  ])("refuses %s with %i", async (_name, headers, status) => {
    const res = await mcpPost(headers as Record<string, string>, init);
    expect(res.status).toBe(status);
    expect(res.headers["content-type"]).toMatch(/application\/json/);
    if (status === 401) expect(res.headers["www-authenticate"]).toMatch(/^Bearer/);
  });

  it("caps request bodies with a JSON 413", async () => {
    const res = await mcpPost(
      { authorization: `Bearer ${TOKEN}` },
      JSON.stringify({ pad: "x".repeat(2 * 1024 * 1024) }),
    );
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ jsonrpc: "2.0", error: { code: -32600 } });
  });

  it.each(["GET", "DELETE"])("answers %s /mcp with 405 and Allow: POST", async (method) => {
    const res = await raw(server.url, { method, headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe("POST");
  });

  it("accepts the server's own loopback Origin: same-origin is not DNS rebinding", async () => {
    const res = await mcpPost({ authorization: `Bearer ${TOKEN}`, origin: new URL(server.url).origin }, init);
    expect(res.status).toBe(200);
  });

  it("accepts the right token", async () => {
    const res = await mcpPost({ authorization: `Bearer ${TOKEN}` }, init);
    expect(res.status).toBe(200);
  });
});

describe("bounded load on loopback", () => {
  it("answers 500 validate_size calls over 20 concurrent connections without an error", async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => httpClient(server.url, TOKEN)));
    try {
      let errors = 0;
      await Promise.all(
        clients.map(async (client, c) => {
          for (let i = 0; i < 25; i++) {
            const result = await client.callTool({
              name: "validate_size",
              arguments: { size: `${(c + i) * 16 + 1024}x1024` },
            });
            if (result.isError || !result.structuredContent) errors++;
          }
        }),
      );
      expect(errors).toBe(0);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  }, 120_000);

  it("completes 20 concurrent generations with at most 4 upstream requests in flight", async () => {
    sim.setLatency(200);
    const clients = await Promise.all(Array.from({ length: 20 }, () => httpClient(server.url, TOKEN)));
    try {
      const results = await Promise.all(
        clients.map((client, i) =>
          client.callTool({ name: "generate_image", arguments: { prompt: `load ${i}`, return_image: "none" } }),
        ),
      );
      for (const r of results) expect((r.structuredContent as unknown as GenerationResult).status).toBe("completed");
      expect(sim.stats.imageRequests).toBe(20);
      expect(sim.stats.maxInFlight).toBeLessThanOrEqual(4);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  }, 120_000);
});

describe("secrets", () => {
  it("never appear in logs, results, sidecars or the manifest", async () => {
    const client = await httpClient(server.url, TOKEN);
    const results: string[] = [];
    try {
      results.push(
        JSON.stringify(
          await client.callTool({
            name: "generate_image",
            arguments: { prompt: "secret check", return_image: "none" },
          }),
        ),
      );
      sim.enqueueFaults("500", "500", "500");
      results.push(
        JSON.stringify(
          await client.callTool({ name: "generate_image", arguments: { prompt: "secret fail", return_image: "none" } }),
        ),
      );
      results.push(
        JSON.stringify(await client.callTool({ name: "verify_image", arguments: { path: "../../etc/passwd" } })),
      );
    } finally {
      await client.close();
    }
    const artefacts = [
      ...results,
      server.stderr(),
      ...readdirSync(workspace)
        .filter((f) => f.endsWith(".json") || f.endsWith(".jsonl"))
        .map((f) => readFileSync(join(workspace, f), "utf8")),
    ].join("\n");
    expect(artefacts.length).toBeGreaterThan(1000);
    expect(artefacts).not.toContain(KEY);
    expect(artefacts).not.toContain(TOKEN);
  });
});

describe("starting and stopping", () => {
  it("refuses to listen on a non-loopback address without a token, saying why", async () => {
    const { code, stderr } = await runCli(["http", "--host", "0.0.0.0", "--port", "0"], {
      PIXELWRIGHT_WORKSPACE: workspace,
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/without PIXELWRIGHT_HTTP_TOKEN/);
  });

  it("on SIGTERM during a generation, aborts it after the grace period, exits 0 and leaves nothing half-written", async () => {
    const ws = tempWorkspace();
    const own = await spawnHttp({
      PIXELWRIGHT_WORKSPACE: ws,
      PIXELWRIGHT_HTTP_TOKEN: TOKEN,
      OPENAI_API_KEY: KEY,
      OPENAI_BASE_URL: sim.baseURL,
    });
    sim.setLatency(30_000);
    const client = await httpClient(own.url, TOKEN);
    const pending = client
      .callTool({ name: "generate_image", arguments: { prompt: "cut short", wait_seconds: 60 } })
      .catch((err: Error) => err);
    // Stopped while the request is at the provider, which would hold it for 30 s: the grace period (10 s) ends it.
    await expect.poll(() => sim.stats.requests.length, { timeout: 30_000 }).toBe(1);
    const code = await own.stop();
    expect(code).toBe(0);
    await pending;
    await client.close().catch(() => {});
    // No image and nothing half-written; at most the job record of the aborted (maybe billed) attempt.
    expect(readdirSync(ws).filter((f) => f !== "jobs.jsonl" && f !== ".pixelwright")).toEqual([]);
    expect(sim.stats.requests[0]?.aborted).toBe(true);
  }, 60_000);
});
