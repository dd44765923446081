// What a hostile caller with write access to the workspace (or a port scanner) tries through the tools.
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/client";
import sharp from "sharp";
import { afterEach, describe, expect, it } from "vitest";
import { connectInProcess } from "../../src/cli/call.js";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { createRuntime } from "../../src/runtime.js";
import { connectWithSimulator, type SimHarness, textOf } from "../helpers/simulated.js";

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function harness(config: Parameters<typeof connectWithSimulator>[0] = {}): Promise<SimHarness> {
  const h = await connectWithSimulator(config);
  cleanup.push(() => h.close());
  return h;
}

/** The server with no key: offline, on its embedded simulator. */
async function offline() {
  const workspace = mkdtempSync(join(tmpdir(), "pixelwright-offline-"));
  const runtime = await createRuntime(
    loadConfig({ env: { PIXELWRIGHT_WORKSPACE: workspace } }),
    createLogger("silent"),
  );
  const { client, close } = await connectInProcess(runtime);
  cleanup.push(async () => {
    await close();
    await runtime.close();
    rmSync(workspace, { recursive: true, force: true });
  });
  return {
    call: async (name: string, args: Record<string, unknown>) =>
      (await client.callTool({ name, arguments: args })) as CallToolResult,
  };
}

const png = (w: number, h: number) =>
  sharp({ create: { width: w, height: h, channels: 3, background: "#468" } })
    .png()
    .toBuffer();
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("offline mode and loopback", () => {
  it("refuses verify_image on another loopback port without a connection being made", async () => {
    let connections = 0;
    const listener: Server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
    cleanup.push(() => new Promise<void>((r) => listener.close(() => r())));
    const port = (listener.address() as AddressInfo).port;
    const { call } = await offline();
    for (const url of [
      `http://127.0.0.1:${port}/healthz`,
      `https://127.0.0.1:${port}/x.png`,
      `http://localhost:${port}/`,
    ]) {
      const result = await call("verify_image", { url });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/refusing/);
    }
    expect(connections).toBe(0);
  });
});

describe("a file flipped between a regular file and a link pointing out", () => {
  it("is never measured or sent upstream as the outside file", { timeout: 60_000 }, async () => {
    const h = await harness();
    const outsideDir = join(dirname(h.workspace), "outside");
    mkdirSync(outsideDir);
    const inside = await png(1024, 1024);
    const outside = await png(1536, 1024);
    writeFileSync(join(outsideDir, "secret.png"), outside);
    const target = join(h.workspace, "flip.png");
    writeFileSync(target, inside);
    writeFileSync(join(h.workspace, "inside.bin"), inside);
    const flipper = spawn(process.execPath, [
      "-e",
      `const fs = require("node:fs");
       const [target, secret, insideCopy] = process.argv.slice(1);
       const pause = new Int32Array(new SharedArrayBuffer(4));
       for (let i = 0; ; i++) {
         const tmp = target + ".tmp" + (i % 2);
         fs.rmSync(tmp, { force: true });
         if (i % 2) fs.symlinkSync(secret, tmp); else fs.copyFileSync(insideCopy, tmp);
         fs.renameSync(tmp, target);
         Atomics.wait(pause, 0, 0, 1); // each state lasts at least 1 ms, so both are met often
       }`,
      target,
      join(outsideDir, "secret.png"),
      join(h.workspace, "inside.bin"),
    ]);
    const exited = new Promise<void>((r) => flipper.on("exit", () => r()));
    const measured: string[] = [];
    let refused = 0;
    let edits = 0;
    // Until both states were met several times (however busy the machine), then the flipper is stopped.
    while (measured.length < 5 || refused < 5) {
      const [verify, edit] = await Promise.all([
        h.call("verify_image", { path: "flip.png", return_image: "none" }),
        h.call("generate_image", {
          prompt: `edit ${edits++}`,
          size: "1024x1024",
          quality: "low",
          reference_images: ["flip.png"],
          return_image: "none",
          fresh: true,
        }),
      ]);
      const report = (verify.structuredContent as { images?: Array<{ sha256: string; width: number }> } | undefined)
        ?.images?.[0];
      if (report) measured.push(report.sha256);
      if (verify.isError) refused++;
      void edit;
    }
    flipper.kill();
    await exited;
    const uploaded = h.sim.stats.requests.flatMap((r) => r.inputSha256 ?? []);
    expect(measured.length + uploaded.length).toBeGreaterThan(0);
    expect(measured).not.toContain(sha(outside));
    expect(uploaded).not.toContain(sha(outside));
  });
});

describe("a saved image swapped for a link pointing out", () => {
  it.each(["full", "preview"])("is never shown inline (return_image %s)", async (mode) => {
    const h = await harness();
    const outside = await png(1536, 1024);
    const outsidePath = join(dirname(h.workspace), "outside.png");
    writeFileSync(outsidePath, outside);
    const made = await h.call("generate_image", { prompt: "a", size: "1024x1024", return_image: "none" });
    const result = made.structuredContent as { job_id: string; images: Array<{ path: string }> };
    const saved = result.images[0]?.path as string;
    rmSync(saved);
    symlinkSync(outsidePath, saved);
    const again = await h.call("verify_image", { job_id: result.job_id, return_image: mode });
    const images = again.content.filter((c) => c.type === "image");
    expect(images).toHaveLength(0);
    expect(textOf(again)).not.toContain(outside.toString("base64").slice(0, 200));
    expect(textOf(again)).toMatch(/can no longer be read as it was saved/);
  });
});

describe("paths outside the roots", () => {
  it("get one answer whether a link points to an existing outside file or a missing one", async () => {
    const h = await harness();
    const outsideDir = join(dirname(h.workspace), "outside");
    mkdirSync(outsideDir);
    writeFileSync(join(outsideDir, "exists.png"), await png(1024, 1024));
    symlinkSync(join(outsideDir, "exists.png"), join(h.workspace, "a.png"));
    symlinkSync(join(outsideDir, "missing.png"), join(h.workspace, "b.png"));
    const a = textOf(await h.call("verify_image", { path: "a.png" }));
    const b = textOf(await h.call("verify_image", { path: "b.png" }));
    expect(a.replace("a.png", "X")).toBe(b.replace("b.png", "X"));
    expect(a).toMatch(/outside the folders this server may read/);
  });
});

describe("files that are not images", () => {
  const cases: Array<[string, () => Promise<Buffer>, RegExp]> = [
    ["a text file", async () => Buffer.from("hello, this is not an image\n".repeat(20)), /look like text/],
    [
      "a fake PNG header",
      async () => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(200)]),
      /PNG signature but the image header after it is not valid/,
    ],
    ["random bytes", async () => Buffer.concat([Buffer.from([0x00, 0x01]), randomBytes(4000)]), /binary data/],
    [
      "a PNG whose header declares 50000x50000",
      async () => {
        const real = await png(16, 16);
        real.writeUInt32BE(50000, 16);
        real.writeUInt32BE(50000, 20);
        return real;
      },
      /declares 50000x50000 \(2,500,000,000 pixels\), over the limit of 40,000,000 pixels/,
    ],
  ];
  it.each(cases)("verify_image on %s answers a clear input error, never Internal error", async (_n, make, why) => {
    const h = await harness();
    writeFileSync(join(h.workspace, "bad.png"), await make());
    const result = await h.call("verify_image", { path: "bad.png" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^Invalid request: path 'bad.png' /);
    expect(textOf(result)).toMatch(why);
  });

  it("a reference that declares 50000x50000 is refused before any decode or upstream call", async () => {
    const h = await harness();
    const bomb = await png(16, 16);
    bomb.writeUInt32BE(50000, 16);
    bomb.writeUInt32BE(50000, 20);
    writeFileSync(join(h.workspace, "bomb.png"), bomb);
    const result = await h.call("generate_image", { prompt: "x", size: "1024x1024", reference_images: ["bomb.png"] });
    expect(textOf(result)).toMatch(/declares 50000x50000/);
    expect(h.sim.stats.imageRequests).toBe(0);
  });
});

describe("input admission", () => {
  it("refuses a reference over 50 MB from its size before reading it", async () => {
    const h = await harness();
    const { openSync, ftruncateSync, closeSync } = await import("node:fs");
    const fd = openSync(join(h.workspace, "huge.png"), "w");
    ftruncateSync(fd, 1536 * 1024 * 1024);
    closeSync(fd);
    const result = await h.call("generate_image", { prompt: "x", size: "1024x1024", reference_images: ["huge.png"] });
    expect(textOf(result)).toMatch(/reference_images\[0\] 'huge.png' is 1536.0 MB; the limit is 50.0 MB/);
    expect(h.sim.stats.imageRequests).toBe(0);
  });

  it("applies the busy cap to a dry run that reads reference images", async () => {
    const h = await harness({ maxConcurrency: 1, maxQueued: 0 });
    writeFileSync(join(h.workspace, "ref.png"), await png(1024, 1024));
    h.sim.setLatency(3000);
    const first = await h.call("generate_image", { prompt: "slow", size: "1024x1024", wait_seconds: 0 });
    expect((first.structuredContent as { status: string }).status).toBe("running");
    const dry = await h.call("generate_image", {
      prompt: "x",
      size: "1024x1024",
      reference_images: ["ref.png"],
      dry_run: true,
    });
    expect(dry.isError).toBe(true);
    expect(textOf(dry)).toMatch(/^Busy: /);
  });
});

describe("resources", () => {
  it("serve images only, never the manifest", async () => {
    const h = await harness();
    await h.call("generate_image", { prompt: "a", size: "1024x1024", return_image: "none" });
    expect(readFileSync(join(h.workspace, "manifest.jsonl"), "utf8").length).toBeGreaterThan(0);
    await expect(h.client.readResource({ uri: "pixelwright://images/manifest.jsonl" })).rejects.toThrow(
      /No image named/,
    );
  });
});

describe("verify_image with a URL", () => {
  it("says what it measured without calling it a saved file", async () => {
    const image = await png(1024, 1024);
    const server = createHttpServer((_req, res) => {
      res.writeHead(200, { "content-type": "image/png", "content-length": image.length });
      res.end(image);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
    const h = await harness({ allowPrivateUrls: true });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/a.png`;
    const text = textOf(await h.call("verify_image", { url, expected_size: "2048x2048" }));
    expect(text).toMatch(/Requested 2048x2048 but the downloaded image is 1024x1024/);
    expect(text).not.toMatch(/saved file/);
  });
});
