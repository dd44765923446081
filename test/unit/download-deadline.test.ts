// A file server that drips: the download must end on its own deadline or rate floor, never hang a caller or a job.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { DEFAULT_DOWNLOAD_POLICY, type DownloadPolicy, downloadImage } from "../../src/upstream/download.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

/** Answers 200 image/png and then sends one byte every `everyMs`, forever. */
async function drippingServer(everyMs: number): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "image/png" });
    res.write(Buffer.from([0x89]));
    const timer = setInterval(() => res.write(Buffer.from([0x50])), everyMs);
    res.on("close", () => clearInterval(timer));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/slow.png`;
}

const loopback: DownloadPolicy = { ...DEFAULT_DOWNLOAD_POLICY, allowHttp: true, isAllowedAddress: () => true };

describe("downloads end on their own", () => {
  it("stop at the total deadline when a server drips one byte every few hundred ms", { timeout: 15_000 }, async () => {
    const url = await drippingServer(300);
    const policy = { ...loopback, timeoutMs: 1000, minBytesPerSecond: 0 };
    await expect(downloadImage(url, policy)).rejects.toThrow(
      /did not finish within 1 s \(PIXELWRIGHT_DOWNLOAD_TIMEOUT_SECONDS\)/,
    );
  });

  it("stop when the average rate stays under the minimum", { timeout: 15_000 }, async () => {
    const url = await drippingServer(100);
    const policy = { ...loopback, timeoutMs: 60_000, minBytesPerSecond: 1000, rateGraceMs: 500 };
    await expect(downloadImage(url, policy)).rejects.toThrow(/too slow .* under the minimum of 1000/);
  });

  it("default to 60 s, settable by PIXELWRIGHT_DOWNLOAD_TIMEOUT_SECONDS and --download-timeout-seconds", () => {
    expect(loadConfig({ env: {} }).downloadTimeoutSeconds).toBe(60);
    expect(loadConfig({ env: { PIXELWRIGHT_DOWNLOAD_TIMEOUT_SECONDS: "5" } }).downloadTimeoutSeconds).toBe(5);
    expect(loadConfig({ env: {}, flags: { "download-timeout-seconds": "7" } }).downloadTimeoutSeconds).toBe(7);
    expect(() => loadConfig({ env: { PIXELWRIGHT_DOWNLOAD_TIMEOUT_SECONDS: "0" } })).toThrow(
      /PIXELWRIGHT_DOWNLOAD_TIMEOUT_SECONDS/,
    );
  });
});
