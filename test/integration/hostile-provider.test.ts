// A provider that echoes the caller's key back in every field it controls: nothing of the key may reach the result,
// the sidecar, the manifest or the log.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/client";
import sharp from "sharp";
import { afterEach, describe, expect, it } from "vitest";
import { connectInProcess } from "../../src/cli/call.js";
import { type Config, loadConfig } from "../../src/config.js";
import { createRuntime } from "../../src/runtime.js";
import { clearSecrets } from "../../src/secrets.js";
import { memoryLog } from "../helpers/memory-log.js";
import { storedText } from "../helpers/stored.js";

const KEY = "sk-proj-H0st1leEch0K3yAbCdEfGhIjKlMnOpQrStUv";
const FRAGMENTS = [KEY, KEY.slice(8, 16), KEY.slice(20, 28), KEY.slice(-8)];

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
  clearSecrets();
});

async function hostileProvider(mode: "ok" | "error" | "drip-url"): Promise<string> {
  const png = await sharp({ create: { width: 1024, height: 1024, channels: 3, background: "#246" } })
    .png()
    .toBuffer();
  let origin = "";
  const server: Server = createServer((req, res) => {
    if (req.url === "/drip.png") {
      res.writeHead(200, { "content-type": "image/png" });
      res.write(Buffer.from([0x89]));
      const timer = setInterval(() => res.write(Buffer.from([0x50])), 300);
      res.on("close", () => clearInterval(timer));
      return;
    }
    req.resume();
    req.on("end", () => {
      const headers = { "content-type": "application/json", "x-request-id": `req_${KEY}` };
      if (mode === "drip-url") {
        // A gateway that answers with a URL on a server that sends one byte every 300 ms, forever.
        res.writeHead(200, headers);
        res.end(JSON.stringify({ created: 1, data: [{ url: `${origin}/drip.png` }] }));
        return;
      }
      if (mode === "error") {
        res.writeHead(400, headers);
        res.end(
          JSON.stringify({
            error: { message: `Incorrect API key provided: ${KEY.slice(0, 12)}...${KEY.slice(-8)}`, type: "x" },
          }),
        );
        return;
      }
      res.writeHead(200, headers);
      res.end(
        JSON.stringify({
          created: 1,
          data: [{ b64_json: png.toString("base64"), revised_prompt: `a lighthouse, drawn for key_${KEY}` }],
          size: `1024x1024 ${KEY.slice(20, 28)}`,
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanup.push(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return `${origin}/v1`;
}

async function connect(baseURL: string, extra: Partial<Config> = {}) {
  const parent = mkdtempSync(join(tmpdir(), "pixelwright-hostile-"));
  const workspace = join(parent, "workspace");
  mkdirSync(workspace);
  const log = memoryLog();
  const config = loadConfig({ env: { PIXELWRIGHT_WORKSPACE: workspace, OPENAI_API_KEY: KEY } });
  const runtime = await createRuntime({ ...config, baseURL, maxRetries: 0, ...extra }, log.logger);
  const { client, close } = await connectInProcess(runtime);
  cleanup.push(async () => {
    await close();
    await runtime.close();
    rmSync(parent, { recursive: true, force: true });
  });
  const call = async (args: Record<string, unknown>) =>
    (await client.callTool({ name: "generate_image", arguments: args })) as CallToolResult;
  const stored = () => storedText(workspace);
  return { call, stored, log: () => log.text() };
}

function expectNoKey(text: string): void {
  for (const fragment of FRAGMENTS) expect(text).not.toContain(fragment);
}

describe("a provider that echoes the key", () => {
  it("never gets the key into the result, the sidecar, the manifest or the log", async () => {
    const { call, stored, log } = await connect(await hostileProvider("ok"));
    const result = await call({ prompt: "a lighthouse", size: "1024x1024", return_image: "none" });
    expect(result.isError).toBeFalsy();
    const structured = result.structuredContent as { status: string; request_ids: string[] };
    expect(structured.status).toBe("completed");
    expect(structured.request_ids[0]).toContain("[redacted]");
    expectNoKey(JSON.stringify(result));
    expect(stored()).toContain("req_[redacted]");
    expectNoKey(stored());
    expectNoKey(log());
  });

  it("never gets the key into a failed result or the log when the error message echoes it", async () => {
    const { call, stored, log } = await connect(await hostileProvider("error"));
    const result = await call({ prompt: "a lighthouse", size: "1024x1024", return_image: "none" });
    expect(JSON.stringify(result)).toContain("Incorrect API key");
    expectNoKey(JSON.stringify(result));
    expectNoKey(stored());
    expectNoKey(log());
  });
});

describe("a gateway whose image URL drips one byte every 300 ms", () => {
  it("ends the job at the download deadline instead of holding it forever", { timeout: 20_000 }, async () => {
    const baseURL = await hostileProvider("drip-url");
    const { call } = await connect(baseURL, { allowPrivateUrls: true, downloadTimeoutSeconds: 1 });
    const result = await call({ prompt: "a lighthouse", size: "1024x1024", return_image: "none", wait_seconds: 15 });
    const text = JSON.stringify(result);
    expect(text).not.toContain('"status":"running"');
    expect(text).toContain("did not finish within 1 s");
  });
});
