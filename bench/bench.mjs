#!/usr/bin/env node
// pixelwright benchmark: what users feel, measured against the offline simulator (latency 0 unless a figure needs
// it) on realistically large, noisy 4K PNGs. Ratios are taken against baselines measured in the same run, because
// shared machines are noisy. Prints one table and writes bench-results/latest.json. Run: npm run bench

import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import OpenAI from "openai";
import sharp from "sharp";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = join(root, "dist", "cli.js");
const dist = (path) => import(new URL(`../dist/${path}`, import.meta.url).href);
const { startSimulator } = await dist("simulator/server.js");
const { loadConfig } = await dist("config.js");
const { createLogger } = await dist("log.js");
const { createRuntime } = await dist("runtime.js");
const { connectInProcess } = await dist("cli/call.js");

const KEY = "bench-key";
const quick = process.argv.includes("--quick");
const ROUNDS = quick ? 2 : 7;
const results = [];
const scratch = mkdtempSync(join(tmpdir(), "pixelwright-bench-"));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const log = (text) => process.stderr.write(`${text}\n`);

function record(figure, measured, target, ok, detail) {
  results.push({ figure, measured, target, ok, ...detail });
  log(`  ${ok === null ? "·" : ok ? "✓" : "✗"} ${figure}: ${measured}`);
}

/** An in-process server (real runtime, real openai SDK) pointed at a simulator, with an in-memory MCP client. */
async function inProcess(sim, overrides = {}) {
  const workspace = mkdtempSync(join(scratch, "ws-"));
  const base = loadConfig({ env: { PIXELWRIGHT_WORKSPACE: workspace, OPENAI_API_KEY: KEY } });
  const runtime = await createRuntime({ ...base, baseURL: sim.baseURL, ...overrides }, createLogger("silent"));
  const { client, close } = await connectInProcess(runtime);
  return {
    client,
    workspace,
    call: (name, args, options = {}) =>
      client.callTool({ name, arguments: args }, undefined, { timeout: 600_000, ...options }),
    close: async () => {
      await close();
      await runtime.close();
    },
  };
}

/** `pixelwright` over stdio, as an MCP client spawns it, pointed at a simulator. */
async function spawnedServer(baseURL, env = {}) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cli],
    env: {
      ...process.env,
      OPENAI_API_KEY: KEY,
      OPENAI_BASE_URL: baseURL,
      PIXELWRIGHT_WORKSPACE: mkdtempSync(join(scratch, "spawned-")),
      PIXELWRIGHT_LOG_LEVEL: "warn",
      ...env,
    },
    stderr: "ignore",
  });
  const client = new Client({ name: "bench", version: "0" });
  await client.connect(transport);
  return {
    client,
    pid: transport.pid,
    call: (name, args, options = {}) =>
      client.callTool({ name, arguments: args }, undefined, { timeout: 600_000, ...options }),
    close: () => client.close(),
  };
}

const lastUpstreamMs = async (sim) => {
  // The simulator stamps a request's duration when its answer has been fully written.
  await new Promise((r) => setTimeout(r, 20));
  const stats = typeof sim.stats === "function" ? await sim.stats() : sim.stats;
  return stats.requests.at(-1)?.durationMs ?? 0;
};

/** The simulator in a process of its own, so its CPU work never shares an event loop with what is measured. */
async function spawnSimulator(env = {}) {
  const child = spawn(process.execPath, [cli, "simulator", "--port", "0"], {
    env: { ...process.env, PIXELWRIGHT_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  const url = await new Promise((resolve, reject) => {
    child.stderr.on("data", (c) => {
      err += c;
      const m = /listening on (\S+)/.exec(err);
      if (m) resolve(m[1]);
    });
    child.on("exit", () => reject(new Error(`simulator exited: ${err}`)));
  });
  const root = url.replace(/\/v1$/, "");
  return {
    baseURL: url,
    stats: async () => (await fetch(`${root}/_sim/stats`)).json(),
    close: async () => {
      child.kill("SIGTERM");
      await once(child, "exit").catch(() => {});
    },
  };
}

// 1 + 2: server overhead per 4K image vs a minimal script, and bytes returned.
async function overheadAndBytes() {
  log("server overhead per 4K image (noisy 3840x2160 PNG, simulator latency 0, simulator in its own process)");
  const sim = await spawnSimulator({ PIXELWRIGHT_SIM_REALISTIC: "1" });
  const openai = new OpenAI({ apiKey: KEY, baseURL: sim.baseURL, maxRetries: 0 });
  // The server runs as users run it: its own process over stdio (its own heap, its own garbage collector).
  const h = await spawnedServer(sim.baseURL);
  const args = { prompt: "bench 4k hero", size: "3840x2160", quality: "high" };
  const baselineDir = mkdtempSync(join(scratch, "baseline-"));

  async function baseline(i) {
    const t0 = performance.now();
    const response = await openai.images.generate({ model: "gpt-image-2", ...args });
    const sdkMs = performance.now() - t0;
    const bytes = Buffer.from(response.data[0].b64_json, "base64");
    const path = join(baselineDir, `b${i}.png`);
    await writeFile(path, bytes);
    const meta = await sharp(path).metadata();
    if (meta.width !== 3840) throw new Error("baseline read back the wrong size");
    return { wall: performance.now() - t0, upstream: await lastUpstreamMs(sim), sdkMs, bytes: bytes.length };
  }
  async function server() {
    const t0 = performance.now();
    const result = await h.call("generate_image", { ...args, fresh: true });
    const wall = performance.now() - t0;
    if (!result.structuredContent?.images?.[0]?.verified) throw new Error("server result not verified");
    return { wall, upstream: await lastUpstreamMs(sim), sdkMs: result.structuredContent.upstream_ms, result };
  }

  await baseline(-1); // warm: fills the simulator's render cache and the JIT
  await server();
  const ratios = [];
  const sdkRatios = [];
  const overheads = { baseline: [], server: [], baselineAfterSdk: [], serverAfterSdk: [] };
  let sample;
  for (let i = 0; i < ROUNDS; i++) {
    const b = await baseline(i);
    const s = await server();
    sample = { ...s, fileBytes: b.bytes };
    overheads.baseline.push(b.wall - b.upstream);
    overheads.server.push(s.wall - s.upstream);
    ratios.push((s.wall - s.upstream) / (b.wall - b.upstream));
    // Second reading: "upstream" = the whole SDK call, JSON parsing included (the server reports its own).
    overheads.baselineAfterSdk.push(b.wall - b.sdkMs);
    overheads.serverAfterSdk.push(s.wall - s.sdkMs);
    sdkRatios.push((s.wall - s.sdkMs) / (b.wall - b.sdkMs));
  }
  const ratio = median(ratios);
  record(
    "server overhead per 4K image",
    `${round(ratio)}x baseline (server ${Math.round(median(overheads.server))} ms vs baseline ${Math.round(median(overheads.baseline))} ms beyond the upstream's own time; preview included)`,
    "<= 1.5x the baseline",
    ratio <= 1.5,
    {
      ratio: round(ratio, 3),
      server_overhead_ms: Math.round(median(overheads.server)),
      baseline_overhead_ms: Math.round(median(overheads.baseline)),
      file_bytes: sample.fileBytes,
      after_sdk_call: {
        ratio: round(median(sdkRatios), 3),
        server_ms: Math.round(median(overheads.serverAfterSdk)),
        baseline_ms: Math.round(median(overheads.baselineAfterSdk)),
      },
    },
  );
  log(
    `    (counting the SDK's JSON parse as upstream too: ${round(median(sdkRatios))}x, server ${Math.round(median(overheads.serverAfterSdk))} ms vs baseline ${Math.round(median(overheads.baselineAfterSdk))} ms)`,
  );

  const message = JSON.stringify({ jsonrpc: "2.0", id: 1, result: sample.result });
  const naive = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    result: {
      content: [{ type: "image", mimeType: "image/png", data: "x".repeat(Math.ceil(sample.fileBytes / 3) * 4) }],
    },
  });
  const kb = Buffer.byteLength(message) / 1024;
  record(
    "bytes returned per 4K result",
    `${round(kb, 1)} KB (a naive server inlining the PNG: ${round(Buffer.byteLength(naive) / 1048576, 1)} MB)`,
    "< 350 KB",
    kb < 350,
    { result_bytes: Buffer.byteLength(message), naive_bytes: Buffer.byteLength(naive) },
  );
  await h.close();
  await sim.close();
}

function rssOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
  return { rss: field("VmRSS"), peak: field("VmHWM") };
}

// 3: peak memory of the server process with four concurrent 4K generations.
async function memory() {
  log("peak memory, 4 concurrent 4K generations (server process alone; simulator in its own process)");
  const sim = await spawnSimulator({ PIXELWRIGHT_SIM_REALISTIC: "1" });
  const simUrl = sim.baseURL;
  const prompts = [1, 2, 3, 4].map((i) => `memory bench ${i}`);
  // Pre-render in the simulator so the measurement is of the server, not of the simulator's first render.
  await Promise.all(
    prompts.map((prompt) =>
      fetch(`${simUrl}/images/generations`, {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ prompt, size: "3840x2160", quality: "high" }),
      }).then((r) => r.arrayBuffer()),
    ),
  );
  const server = await spawnedServer(simUrl, { PIXELWRIGHT_MAX_CONCURRENCY: "4" });
  const { client, pid } = server;
  await client.callTool({ name: "validate_size", arguments: { size: "3840x2160" } });
  const idle = rssOf(pid).rss;
  let sampled = 0;
  const sampler = setInterval(() => {
    sampled = Math.max(sampled, rssOf(pid).rss);
  }, 25);
  const calls = await Promise.all(
    prompts.map((prompt) =>
      client.callTool(
        { name: "generate_image", arguments: { prompt, size: "3840x2160", quality: "high" } },
        undefined,
        { timeout: 600_000 },
      ),
    ),
  );
  clearInterval(sampler);
  for (const c of calls) if (!c.structuredContent?.images?.[0]?.verified) throw new Error("memory run: not verified");
  const peak = Math.max(rssOf(pid).peak, sampled);
  await client.close();
  await sim.close();
  record(
    "peak memory, 4 concurrent 4K generations",
    `${Math.round(peak)} MB peak RSS (idle ${Math.round(idle)} MB; ${Math.round((peak - idle) / 4)} MB per in-flight 4K image)`,
    "< 600 MB",
    peak < 600,
    { peak_mb: Math.round(peak), idle_mb: Math.round(idle), per_image_mb: Math.round((peak - idle) / 4) },
  );
}

// 4: cold start, spawn to initialize answered over stdio.
async function coldStart() {
  log("cold start over stdio (offline default: embedded simulator)");
  const times = [];
  for (let i = 0; i < (quick ? 5 : 15); i++) {
    const workspace = mkdtempSync(join(scratch, "cold-"));
    const env = { ...process.env, PIXELWRIGHT_WORKSPACE: workspace, PIXELWRIGHT_LOG_LEVEL: "error" };
    delete env.OPENAI_API_KEY;
    const t0 = performance.now();
    const child = spawn(process.execPath, [cli], { env, stdio: ["pipe", "pipe", "ignore"] });
    child.stdin.write(
      `${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "b", version: "0" } } })}\n`,
    );
    await new Promise((resolve) => {
      let out = "";
      child.stdout.on("data", (c) => {
        out += c;
        if (out.includes('"id":1')) resolve();
      });
    });
    times.push(performance.now() - t0);
    child.stdin.end();
    await once(child, "exit");
  }
  const m = median(times);
  record(
    "cold start",
    `${Math.round(m)} ms median (min ${Math.round(Math.min(...times))} ms)`,
    "< 300 ms median",
    m < 300,
    {
      median_ms: Math.round(m),
      runs_ms: times.map((t) => Math.round(t)),
    },
  );
}

// 5: fan-out, n=4 vs n=1 with simulator latency 2 s and concurrency 4.
async function fanOut() {
  log("fan-out: n=4 vs n=1, simulator latency 2 s, concurrency 4 (one image per call, as gateways like apiyi)");
  const sim = await startSimulator({ apiKey: KEY, latencyMs: 2000 });
  const h = await inProcess(sim, { profile: "apiyi", maxConcurrency: 4 });
  const time = async (n, i) => {
    const t0 = performance.now();
    const r = await h.call("generate_image", { prompt: `fan ${n} ${i}`, n, size: "1024x1024" });
    if (r.structuredContent?.images?.length !== n) throw new Error("fan-out: wrong image count");
    return performance.now() - t0;
  };
  const one = [];
  const four = [];
  for (let i = 0; i < (quick ? 1 : 3); i++) {
    one.push(await time(1, i));
    four.push(await time(4, i));
  }
  const ratio = median(four) / median(one);
  record(
    "fan-out",
    `${round(ratio)}x (n=4 ${Math.round(median(four))} ms vs n=1 ${Math.round(median(one))} ms)`,
    "<= 1.3x",
    ratio <= 1.3,
    { ratio: round(ratio, 3), n1_ms: Math.round(median(one)), n4_ms: Math.round(median(four)) },
  );
  await h.close();
  await sim.close();
}

// 6: first feedback, call to first progress notification.
async function firstFeedback() {
  log("first feedback: call to first progress notification");
  const sim = await startSimulator({ apiKey: KEY, latencyMs: 1500 });
  const h = await inProcess(sim);
  const times = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    let first = null;
    await h.call(
      "generate_image",
      { prompt: `feedback ${i}`, size: "3840x2160", return_image: "none" },
      {
        onprogress: () => {
          first ??= performance.now() - t0;
        },
      },
    );
    times.push(first ?? Number.POSITIVE_INFINITY);
  }
  const m = median(times);
  record("first feedback", `${round(m, 1)} ms median`, "< 1 s", m < 1000, { median_ms: round(m, 1) });
  await h.close();
  await sim.close();
}

// 7: validate_size throughput through the in-memory client.
async function throughput() {
  log("validate_size throughput (in-memory MCP client)");
  const sim = await startSimulator({ apiKey: KEY });
  const h = await inProcess(sim);
  const sizes = ["1920x1080", "3840x2160", "4096x2160", "16:9(4K)", "512x512", "banana", "2048x1152"];
  for (let i = 0; i < 200; i++) await h.call("validate_size", { size: sizes[i % sizes.length] });
  const count = quick ? 1000 : 3000;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await h.call("validate_size", { size: sizes[i % sizes.length] });
  const perSecond = count / ((performance.now() - t0) / 1000);
  record("validate_size throughput", `${Math.round(perSecond)} calls/s (sequential, one client)`, "report it", null, {
    calls_per_second: Math.round(perSecond),
  });
  await h.close();
  await sim.close();
}

// 8: the gallery of a 500-image workspace: the page (manifest read, 500 files checked, HTML built) and thumbnails.
async function gallery() {
  log("gallery with 500 images (HTTP, in process)");
  const { serveHttp } = await dist("transports/http.js");
  const sim = await startSimulator({ apiKey: KEY });
  const h = await inProcess(sim);
  const made = await h.call("generate_image", { prompt: "gallery bench", size: "1536x1024", return_image: "none" });
  const first = made.structuredContent.images[0];
  const source = readFileSync(first.path);
  const line = JSON.parse(readFileSync(join(h.workspace, "manifest.jsonl"), "utf8").trim());
  const lines = [];
  for (let i = 0; i < 500; i++) {
    const file = `bench-${String(i).padStart(3, "0")}.png`;
    writeFileSync(join(h.workspace, file), source);
    lines.push(JSON.stringify({ ...line, file, created_at: new Date(Date.now() - i * 1000).toISOString() }));
  }
  writeFileSync(join(h.workspace, "manifest.jsonl"), `${lines.join("\n")}\n`);
  const config = loadConfig({ env: { PIXELWRIGHT_WORKSPACE: h.workspace, OPENAI_API_KEY: KEY } });
  const runtime = await createRuntime({ ...config, baseURL: sim.baseURL }, createLogger("silent"));
  const server = await serveHttp(runtime, createLogger("silent"), { host: "127.0.0.1", port: 0, token: KEY.repeat(3) });
  const get = async (path) => {
    const t0 = performance.now();
    const res = await fetch(`http://127.0.0.1:${server.port}${path}`, {
      headers: { authorization: `Bearer ${KEY.repeat(3)}` },
    });
    const bytes = (await res.arrayBuffer()).byteLength;
    return { ms: performance.now() - t0, bytes, status: res.status };
  };
  const cold = await get("/gallery");
  const warm = [];
  for (let i = 0; i < ROUNDS; i++) warm.push((await get("/gallery")).ms);
  const thumbMade = await get("/gallery/thumbs/bench-000.png");
  const thumbCached = [];
  for (let i = 0; i < ROUNDS; i++) thumbCached.push((await get("/gallery/thumbs/bench-000.png")).ms);
  record(
    "gallery page, 500 images (server)",
    `${round(cold.ms, 0)} ms first, ${round(median(warm), 0)} ms after; ${Math.round(cold.bytes / 1024)} KB`,
    "< 1 s",
    cold.status === 200 && cold.ms < 1000,
    { first_ms: round(cold.ms, 1), warm_ms: round(median(warm), 1), page_bytes: cold.bytes },
  );
  record(
    "gallery thumbnail",
    `${round(thumbMade.ms, 0)} ms to make, ${round(median(thumbCached), 1)} ms cached; ${round(thumbMade.bytes / 1024, 1)} KB`,
    "< 30 KB",
    thumbMade.bytes < 30 * 1024,
    { made_ms: round(thumbMade.ms, 1), cached_ms: round(median(thumbCached), 1), bytes: thumbMade.bytes },
  );
  await server.close(0);
  await runtime.close();
  await h.close();
  await sim.close();
}

const started = performance.now();
try {
  await overheadAndBytes();
  await memory();
  await coldStart();
  await fanOut();
  await firstFeedback();
  await throughput();
  await gallery();
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const machine = `${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`;
const width = Math.max(...results.map((r) => r.figure.length));
const lines = [
  "",
  `pixelwright benchmark — ${machine} — ${Math.round((performance.now() - started) / 1000)} s`,
  "",
  `${"figure".padEnd(width)} | ok | measured | target`,
  `${"-".repeat(width)}-|----|----------|-------`,
  ...results.map(
    (r) => `${r.figure.padEnd(width)} | ${r.ok === null ? "--" : r.ok ? "ok" : "NO"} | ${r.measured} | ${r.target}`,
  ),
  "",
];
process.stdout.write(lines.join("\n"));
mkdirSync(join(root, "bench-results"), { recursive: true });
const out = join(root, "bench-results", "latest.json");
writeFileSync(out, `${JSON.stringify({ machine, date: new Date().toISOString(), results }, null, 2)}\n`);
process.stdout.write(`JSON: ${out}\n`);
process.exitCode = results.some((r) => r.ok === false) ? 1 : 0;
