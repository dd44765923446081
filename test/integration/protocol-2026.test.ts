// MCP 2026-07-28 on /mcp, read on the wire: server/discover, the _meta envelope, the standard headers, caching hints,
// resultType, and the Tasks extension (flat create result, tasks/get with the result inline, the empty cancel ack,
// -32021 without the extension). The SDK client keeps no Tasks-extension API, so these requests are written by hand,
// exactly as the specification puts them on the wire.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.js";
import { type HttpHandle, serveHttp } from "../../src/transports/http.js";
import { connectWithSimulator, type SimHarness } from "../helpers/simulated.js";

const VERSION = "2026-07-28";
const TASKS = "io.modelcontextprotocol/tasks";

let h: SimHarness;
let server: HttpHandle;
beforeAll(async () => {
  h = await connectWithSimulator({ timeoutSeconds: 30 });
  server = await serveHttp(h.runtime, createLogger("silent"), { host: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await server.close(100);
  await h.close();
});
beforeEach(() => {
  h.sim.reset();
  h.sim.setLatency(0);
});

const NAME_FIELD: Record<string, string> = { "tools/call": "name", "resources/read": "uri", "tasks/get": "taskId" };
NAME_FIELD["tasks/cancel"] = "taskId";

interface Options {
  extensions?: Record<string, object>;
  headers?: Record<string, string>;
}

const standardHeaders = (method: string) => ({
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  "mcp-protocol-version": VERSION,
  "mcp-method": method,
});

let nextId = 1;
/** One 2026-07-28 request: the _meta envelope in the body, the standard headers mirroring it. */
async function rpc(method: string, params: Record<string, unknown> = {}, options: Options = {}) {
  const capabilities = options.extensions ? { extensions: options.extensions } : {};
  const body = {
    jsonrpc: "2.0",
    id: nextId++,
    method,
    params: {
      ...params,
      _meta: {
        "io.modelcontextprotocol/protocolVersion": VERSION,
        "io.modelcontextprotocol/clientCapabilities": capabilities,
      },
    },
  };
  const field = NAME_FIELD[method];
  const response = await fetch(server.url, {
    method: "POST",
    headers: {
      ...standardHeaders(method),
      ...(field ? { "mcp-name": String(params[field]) } : {}),
      ...options.headers,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  // A streamed answer (SSE) carries the response as its last `data:` line.
  const json = text.startsWith("{")
    ? text
    : (text
        .split("\n")
        .filter((l) => l.startsWith("data:"))
        .pop() ?? "");
  const message = JSON.parse(json.replace(/^data:\s*/, "")) as {
    result?: Record<string, unknown>;
    error?: { code: number; message: string; data?: unknown };
  };
  return { status: response.status, ...message };
}

describe("server/discover", () => {
  it("advertises tools, resources and the Tasks and Apps extensions, and no 2025-only capability", async () => {
    const { result } = await rpc("server/discover");
    expect(result?.supportedVersions).toContain(VERSION);
    const capabilities = result?.capabilities as Record<string, unknown>;
    expect(capabilities).toMatchObject({ tools: {}, resources: {} });
    expect(capabilities.extensions).toMatchObject({ [TASKS]: {}, "io.modelcontextprotocol/ui": {} });
    expect(capabilities.tasks).toBeUndefined();
    expect(capabilities.logging).toBeUndefined();
  });

  it("names the server, with its icon, in _meta", async () => {
    const { result } = await rpc("server/discover");
    const meta = result?._meta as Record<string, { name: string; icons: { mimeType: string }[] }> | undefined;
    const info = meta?.["io.modelcontextprotocol/serverInfo"];
    expect(info?.name).toBe("pixelwright");
    expect(info?.icons[0]?.mimeType).toBe("image/svg+xml");
  });
});

describe("results", () => {
  it.each([
    ["tools/list", 3_600_000, "public"],
    ["resources/templates/list", 3_600_000, "public"],
    ["server/discover", 3_600_000, "public"],
    ["resources/list", 0, "private"],
  ])("%s carries resultType and caching hints (ttlMs %i, %s)", async (method, ttlMs, cacheScope) => {
    const { result } = await rpc(method);
    expect(result).toMatchObject({ resultType: "complete", ttlMs, cacheScope });
  });

  it("a request whose Mcp-Name disagrees with its body is refused with 400 and -32020", async () => {
    const answer = await rpc(
      "tools/call",
      { name: "validate_size", arguments: { size: "1024x1024" } },
      { headers: { "mcp-name": "generate_image" } },
    );
    expect(answer.status).toBe(400);
    expect(answer.error?.code).toBe(-32020);
  });

  it("a request without the _meta envelope's client capabilities is refused (-32602)", async () => {
    const response = await fetch(server.url, {
      method: "POST",
      headers: standardHeaders("tools/list"),
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/list",
        params: { _meta: { "io.modelcontextprotocol/protocolVersion": VERSION } },
      }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: number } }).error.code).toBe(-32602);
  });
});

describe("the Tasks extension", () => {
  const withTasks = { extensions: { [TASKS]: {} } };
  const image = { prompt: "a task", size: "1536x1024", return_image: "none" };

  it("a client that declares it gets a flat create result for generate_image, then the result inline", async () => {
    h.sim.setLatency(300);
    const { result: created } = await rpc("tools/call", { name: "generate_image", arguments: image }, withTasks);
    expect(created).toMatchObject({ resultType: "task", status: "working", pollIntervalMs: 2000 });
    expect(created?.taskId).toMatch(/^job_[0-9a-f]{32}$/);
    expect(created).not.toHaveProperty("task");
    expect(Number.isInteger(created?.ttlMs)).toBe(true);
    const taskId = String(created?.taskId);
    const working = await rpc("tasks/get", { taskId }, withTasks);
    expect(working.result).toMatchObject({ taskId, resultType: "complete" });
    expect(working.result).not.toHaveProperty("error");
    await expect
      .poll(async () => (await rpc("tasks/get", { taskId }, withTasks)).result?.status, { timeout: 20_000 })
      .toBe("completed");
    const done = (await rpc("tasks/get", { taskId }, withTasks)).result as { result: Record<string, unknown> };
    expect(done.result.structuredContent).toMatchObject({ status: "completed", job_id: taskId });
    expect(h.sim.stats.imageRequests).toBe(1);
  });

  it("tasks/cancel answers an empty ack, on a running task and again once it has ended", async () => {
    h.sim.setLatency(500);
    const args = { ...image, prompt: "cancel this task" };
    const { result: created } = await rpc("tools/call", { name: "generate_image", arguments: args }, withTasks);
    expect(created?.status).toBe("working");
    const taskId = String(created?.taskId);
    const ack = async () => {
      const { result } = await rpc("tasks/cancel", { taskId }, withTasks);
      expect(Object.keys(result ?? {}).sort()).toEqual(["_meta", "resultType"]);
      expect(result?.resultType).toBe("complete");
    };
    await ack();
    expect((await rpc("tasks/get", { taskId }, withTasks)).result?.status).toBe("cancelled");
    // The paid request was already sent: the job finishes and is kept; the task stays cancelled.
    await expect
      .poll(async () => (await h.runtime.book.get(taskId))?.finishedAt ?? null, { timeout: 20_000 })
      .not.toBeNull();
    await ack();
    expect((await rpc("tasks/get", { taskId }, withTasks)).result?.status).toBe("cancelled");
  });

  it("without the extension, tasks/get is refused with -32021 and generate_image answers synchronously", async () => {
    const refused = await rpc("tasks/get", { taskId: "job_0123456789abcdef0123456789abcdef" });
    expect(refused.status).toBe(400);
    expect(refused.error?.code).toBe(-32021);
    const { result } = await rpc("tools/call", { name: "generate_image", arguments: image });
    expect(result).toMatchObject({ resultType: "complete", structuredContent: { status: "completed" } });
  });

  it("an unknown task id is -32602, and validate_size (no task support) answers at once even with the extension", async () => {
    expect((await rpc("tasks/get", { taskId: "job_nope" }, withTasks)).error?.code).toBe(-32602);
    const { result } = await rpc("tools/call", { name: "validate_size", arguments: { size: "1024x1024" } }, withTasks);
    expect(result).toMatchObject({ resultType: "complete", structuredContent: { ok: true } });
  });
});
