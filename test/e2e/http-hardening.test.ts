// The HTTP transport against a careless operator and a picky client: scheme case, weak tokens, a busy port.
import { mkdtempSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { clearSecrets } from "../../src/secrets.js";
import { checkExposure, type HttpHandle, serveHttp } from "../../src/transports/http.js";
import { raw } from "../helpers/http.js";
import { runCli, tempWorkspace } from "../helpers/spawn.js";

const TOKEN = "tok-hardening-0123456789abcdef";
let runtime: Runtime;
let handle: HttpHandle;

beforeAll(async () => {
  const workspace = mkdtempSync(join(tmpdir(), "pixelwright-http-hard-"));
  runtime = await createRuntime(loadConfig({ env: { PIXELWRIGHT_WORKSPACE: workspace } }), createLogger("silent"));
  handle = await serveHttp(runtime, createLogger("silent"), { host: "127.0.0.1", port: 0, token: TOKEN });
});
afterAll(async () => {
  await handle.close(100);
  await runtime.close();
  clearSecrets();
});

const init = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
});

describe("the bearer scheme", () => {
  it.each(["bearer", "BEARER", "BeArEr"])("is accepted as '%s' (case-insensitive)", async (scheme) => {
    const res = await raw(handle.url, {
      headers: {
        authorization: `${scheme} ${TOKEN}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: init,
    });
    expect(res.status).toBe(200);
  });

  it("still refuses a wrong token in any case", async () => {
    const res = await raw(handle.url, {
      headers: { authorization: `bearer ${TOKEN.toUpperCase()}`, "content-type": "application/json" },
      body: init,
    });
    expect(res.status).toBe(401);
  });
});

describe("weak tokens on an address the network can reach", () => {
  it.each([
    ["one character", "x"],
    ["15 characters", "0123456789abcde"],
    ["blank", "   "],
  ])("refuse to start with a %s token", (_name, token) => {
    expect(() => checkExposure({ host: "0.0.0.0", port: 0, token })).toThrow(/PIXELWRIGHT_HTTP_TOKEN/);
  });

  it("refuse to start from the CLI with a short token, exit 2 and say how long it must be", async () => {
    const { code, stderr } = await runCli(["http", "--host", "0.0.0.0", "--port", "0"], {
      PIXELWRIGHT_WORKSPACE: tempWorkspace(),
      PIXELWRIGHT_HTTP_TOKEN: "x",
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/at least 16 characters/);
  });

  it("start with a 16-character token, and on loopback with any token", () => {
    expect(() => checkExposure({ host: "0.0.0.0", port: 0, token: "0123456789abcdef" })).not.toThrow();
    expect(() => checkExposure({ host: "127.0.0.1", port: 0, token: "x" })).not.toThrow();
  });
});

describe("a port already in use", () => {
  let blocker: Server;
  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
  });
  afterAll(() => new Promise<void>((r) => blocker.close(() => r())));

  it("is one line on stderr and exit 2, no stack trace", { timeout: 20_000 }, async () => {
    const port = (blocker.address() as AddressInfo).port;
    const { code, stderr } = await runCli(["http", "--port", String(port)], {
      PIXELWRIGHT_WORKSPACE: tempWorkspace(),
      PIXELWRIGHT_LOG_LEVEL: "error",
    });
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(
      `pixelwright: configuration error: port ${port} on 127.0.0.1 is already in use: stop the other server or pick --port.`,
    );
  });
});
