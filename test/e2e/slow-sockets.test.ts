// Slow sockets against the HTTP transport: a crowd that sends its headers one byte at a time, or nothing at all, is
// answered 408 and disconnected once the header deadline passes, instead of being held for the request deadline.
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { clearSecrets } from "../../src/secrets.js";
import { type HttpHandle, serveHttp } from "../../src/transports/http.js";

let runtime: Runtime;
let handle: HttpHandle;
let workspace: string;

beforeAll(async () => {
  workspace = mkdtempSync(join(tmpdir(), "pixelwright-slow-"));
  runtime = await createRuntime(loadConfig({ env: { PIXELWRIGHT_WORKSPACE: workspace } }), createLogger("silent"));
  handle = await serveHttp(runtime, createLogger("silent"), { host: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await handle.close(100);
  await runtime.close();
  rmSync(workspace, { recursive: true, force: true });
  clearSecrets();
});

/** A socket that sends `start`, then one byte every `everyMs` (none when 0) until the server hangs up. */
function slowClient(start: string, everyMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(handle.port, "127.0.0.1");
    let answer = "";
    let timer: NodeJS.Timeout | undefined;
    socket.on("connect", () => {
      socket.write(start);
      if (everyMs > 0) timer = setInterval(() => socket.write("a"), everyMs);
    });
    socket.on("data", (chunk) => {
      answer += chunk.toString("latin1");
    });
    socket.on("error", reject);
    socket.on("close", () => {
      clearInterval(timer);
      resolve(answer.split("\r\n")[0] ?? "");
    });
  });
}

describe("slow sockets", () => {
  it("a crowd sending headers at a few bytes per second is answered 408 and closed by the header deadline", {
    timeout: 40_000,
  }, async () => {
    const head = `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${handle.port}\r\nX-Drip: `;
    const crowd = Array.from({ length: 60 }, () => slowClient(head, 250));
    const silent = Array.from({ length: 20 }, () => slowClient("", 0));
    const answers = await Promise.all([...crowd, ...silent]);
    expect(new Set(answers)).toEqual(new Set(["HTTP/1.1 408 Request Timeout"]));
  });
});
