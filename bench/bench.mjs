#!/usr/bin/env node
// pixelwright benchmark: what users feel, against the offline simulator (in a process of its own, latency 0 unless a
// row needs it) on realistically large, noisy 4K PNGs. Every pass/fail target is a ratio against a baseline the bench
// builds and runs itself in the same run, because shared machines are noisy; absolute figures are printed for the
// record only. Prints one table and writes bench-results/latest.json. Run: npm run bench (-- --quick: fewer rounds).

import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { httpFloor } from "./http-floor.mjs";
import {
  baseline,
  cli,
  FOUR_K,
  INITIALIZE,
  KEY,
  log,
  median,
  memoryWatch,
  ms,
  root,
  round,
  runBare,
  scratch,
  spawnedServer,
  spawnSimulator,
  timeToToolsList,
} from "./lib.mjs";

const dist = (path) => import(new URL(`../dist/${path}`, import.meta.url).href);
const { startSimulator } = await dist("simulator/server.js");
const { loadConfig } = await dist("config.js");
const { createLogger } = await dist("log.js");
const { createRuntime } = await dist("runtime.js");
const { connectInProcess } = await dist("cli/call.js");

const quick = process.argv.includes("--quick");
const ROUNDS = quick ? 3 : 7;
const results = [];

/** ok: true/false for a ratio target, null for a figure reported for the record. */
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
    workspace,
    call: (name, args, options = {}) =>
      client.callTool({ name, arguments: args }, undefined, { timeout: 600_000, ...options }),
    close: async () => {
      await close();
      await runtime.close();
    },
  };
}

const verified = (result, what) => {
  if (!result.structuredContent?.images?.[0]?.verified) throw new Error(`${what}: the image was not verified`);
  return result;
};

// Cold start: spawn → tools/list answered, against a minimal SDK McpServer with one tool started the same way.
async function coldStart() {
  log("cold start: spawn -> initialize -> tools/list answered, vs a minimal SDK McpServer with one tool");
  const env = { ...process.env, PIXELWRIGHT_LOG_LEVEL: "error" };
  delete env.OPENAI_API_KEY; // the offline default: the embedded simulator starts too
  const runs = { server: [], minimal: [] };
  const n = quick ? 5 : 9;
  for (let i = 0; i < n; i++) {
    runs.minimal.push(await timeToToolsList([baseline("minimal-server.mjs")], env));
    const workspace = mkdtempSync(join(scratch, "cold-"));
    runs.server.push(await timeToToolsList([cli], { ...env, PIXELWRIGHT_WORKSPACE: workspace }));
  }
  const ratio = median(runs.server) / median(runs.minimal);
  record(
    "cold start, spawn to tools/list answered",
    `${round(ratio)}x (pixelwright ${ms(median(runs.server))} vs minimal SDK server ${ms(median(runs.minimal))}, medians of ${n})`,
    "<= 1.0x a minimal SDK McpServer",
    ratio <= 1.0,
    { ratio: round(ratio, 3), server_ms: runs.server.map(Math.round), minimal_ms: runs.minimal.map(Math.round) },
  );
}

// The first 4K call of a freshly spawned server vs a bare openai script (which pays its own imports). The client does
// what MCP clients do: initialize, tools/list, then the call once the model has chosen the tool (1 s here, less than a
// model takes). The same call sent the moment tools/list is answered is printed for the record.
const THINK_MS = 1000;
async function firstCall() {
  log(
    `first 4K call after spawn (initialize, tools/list, ${THINK_MS} ms, call) vs a bare openai script, imports included`,
  );
  const sim = await spawnSimulator();
  const prompt = "bench first call";
  await sim.prerender(prompt);
  await runBare(sim, prompt); // the disk cache and the simulator are warm for both
  const runs = { server: [], immediate: [], bare: [] };
  const n = quick ? 3 : 5;
  const first = async (pause) => {
    const h = await spawnedServer(sim.baseURL);
    await h.client.listTools();
    await new Promise((r) => setTimeout(r, pause));
    const t0 = performance.now();
    verified(await h.call("generate_image", { prompt, ...FOUR_K }), "first call");
    const elapsed = performance.now() - t0;
    await h.close();
    return elapsed;
  };
  for (let i = 0; i < n; i++) {
    runs.bare.push((await runBare(sim, prompt)).runs[0].ms);
    runs.server.push(await first(THINK_MS));
    runs.immediate.push(await first(0));
  }
  await sim.close();
  const ratio = median(runs.server) / median(runs.bare);
  const immediate = median(runs.immediate) / median(runs.bare);
  record(
    `first 4K call after spawn (${THINK_MS / 1000} s after tools/list)`,
    `${round(ratio)}x (server ${ms(median(runs.server))} vs bare script ${ms(median(runs.bare))}, medians of ${n}; sent the moment tools/list is answered: ${round(immediate)}x, ${ms(median(runs.immediate))})`,
    "<= 1.15x a bare openai script",
    ratio <= 1.15,
    {
      ratio: round(ratio, 3),
      immediate_ratio: round(immediate, 3),
      server_ms: runs.server.map(Math.round),
      immediate_ms: runs.immediate.map(Math.round),
      bare_ms: runs.bare.map(Math.round),
    },
  );
}

const lastUpstreamMs = async (sim) => {
  // The simulator stamps a request's duration when its answer has been fully written.
  await new Promise((r) => setTimeout(r, 20));
  return (await sim.stats()).requests.at(-1)?.durationMs ?? 0;
};

// Steady state: the server's work per 4K image beyond the upstream's own time, vs the same work in a script.
async function overhead() {
  log("server overhead per 4K image, beyond the upstream's own time (steady state)");
  const sim = await spawnSimulator();
  const { default: OpenAI } = await import("openai");
  const { default: sharp } = await import("sharp");
  const { writeFile } = await import("node:fs/promises");
  const openai = new OpenAI({ apiKey: KEY, baseURL: sim.baseURL, maxRetries: 0 });
  const h = await spawnedServer(sim.baseURL);
  const args = { prompt: "bench 4k hero", ...FOUR_K };
  const dir = mkdtempSync(join(scratch, "baseline-"));
  async function script(i) {
    const t0 = performance.now();
    const response = await openai.images.generate({ model: "gpt-image-2", ...args });
    const bytes = Buffer.from(response.data[0].b64_json, "base64");
    await writeFile(join(dir, `b${i}.png`), bytes);
    if ((await sharp(join(dir, `b${i}.png`)).metadata()).width !== 3840) throw new Error("baseline: wrong size");
    return { wall: performance.now() - t0, upstream: await lastUpstreamMs(sim) };
  }
  async function server() {
    const t0 = performance.now();
    verified(await h.call("generate_image", { ...args, fresh: true }), "overhead");
    return { wall: performance.now() - t0, upstream: await lastUpstreamMs(sim) };
  }
  await script(-1);
  await server();
  const ratios = [];
  const over = { server: [], script: [] };
  for (let i = 0; i < ROUNDS; i++) {
    const b = await script(i);
    const s = await server();
    over.script.push(b.wall - b.upstream);
    over.server.push(s.wall - s.upstream);
    ratios.push((s.wall - s.upstream) / (b.wall - b.upstream));
  }
  await h.close();
  await sim.close();
  const ratio = median(ratios);
  record(
    "server overhead per 4K image (steady state)",
    `${round(ratio)}x (server ${ms(median(over.server))} vs script ${ms(median(over.script))} beyond the upstream's time; preview included)`,
    "<= 1.5x a script that decodes, writes and reads the size back",
    ratio <= 1.5,
    { ratio: round(ratio, 3), server_ms: Math.round(median(over.server)), script_ms: Math.round(median(over.script)) },
  );
}

/** Spawns a stdio server, runs one tools/call and returns the bytes of its answer as they came over stdout. */
async function wireBytesOfCall(args, env, call) {
  const child = spawn(process.execPath, args, { env, stdio: ["pipe", "pipe", "ignore"] });
  const send = (message) => child.stdin.write(`${JSON.stringify(message)}\n`);
  send(INITIALIZE);
  send({ jsonrpc: "2.0", method: "notifications/initialized" });
  send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: call });
  let buffered = Buffer.alloc(0);
  const line = await new Promise((resolve, reject) => {
    child.on("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code}`)));
    child.stdout.on("data", (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      let nl = buffered.indexOf(0x0a);
      while (nl !== -1) {
        const text = buffered.subarray(0, nl);
        buffered = buffered.subarray(nl + 1);
        if (text.includes('"id":2')) resolve(text);
        nl = buffered.indexOf(0x0a);
      }
    });
  });
  child.removeAllListeners("exit");
  child.kill("SIGTERM");
  await once(child, "exit").catch(() => {});
  const message = JSON.parse(line.toString("utf8"));
  if (message.error || message.result?.isError) throw new Error(`call failed: ${line.toString("utf8").slice(0, 300)}`);
  return line.length + 1;
}

// Bytes returned: pixelwright's 4K result vs a naive server (SDK call, PNG inlined as an image block), both on the wire.
async function bytesReturned() {
  log("bytes returned per 4K result, measured on the wire, vs a naive server that inlines the PNG");
  const sim = await spawnSimulator();
  const prompt = "bench bytes";
  await sim.prerender(prompt);
  const env = {
    ...process.env,
    OPENAI_API_KEY: KEY,
    OPENAI_BASE_URL: sim.baseURL,
    PIXELWRIGHT_LOG_LEVEL: "error",
    PIXELWRIGHT_WORKSPACE: mkdtempSync(join(scratch, "bytes-")),
  };
  const ours = await wireBytesOfCall([cli], env, { name: "generate_image", arguments: { prompt, ...FOUR_K } });
  const naive = await wireBytesOfCall([baseline("naive-server.mjs")], env, {
    name: "generate_image",
    arguments: { prompt, size: FOUR_K.size },
  });
  await sim.close();
  const ratio = ours / naive;
  record(
    "bytes returned per 4K result",
    `${round(ratio, 4)}x (${round(ours / 1024, 1)} KB vs a naive server inlining the PNG: ${round(naive / 1048576, 1)} MB, both measured on stdout)`,
    "<= 0.01x a naive server",
    ratio <= 0.01,
    { ratio: round(ratio, 5), result_bytes: ours, naive_bytes: naive },
  );
}

/** n concurrent 4K generations in one spawned server; peak RSS beyond idle, per image, and the wall time. */
async function concurrentBatch(sim, prompt, n, extra) {
  const h = await spawnedServer(sim.baseURL, { PIXELWRIGHT_MAX_CONCURRENCY: String(n) });
  // One small call first: code paths, openai and sharp are loaded, so idle is the server ready for work.
  await h.call("generate_image", { prompt: "warm", size: "1024x1024", fresh: true });
  await new Promise((r) => setTimeout(r, 300));
  const watch = memoryWatch(h.pid);
  const t0 = performance.now();
  const calls = await Promise.all(
    Array.from({ length: n }, () => h.call("generate_image", { prompt, ...FOUR_K, ...extra, fresh: true })),
  );
  const wall = performance.now() - t0;
  const peak = watch.stop();
  for (const c of calls) verified(c, "concurrent");
  await h.close();
  return { wall, peak, idle: watch.idle, perImage: (peak - watch.idle) / n };
}

// The Responses route vs the Images route. Peak RSS per in-flight 4K image: one image in flight per fresh server,
// alternating routes (with several at once the figure mostly measures how they overlapped). Wall: one server, the
// routes alternating, after one call of each.
async function routes() {
  log("Responses route vs Images route: peak RSS per in-flight 4K image (fresh servers) and wall (one server)");
  const sim = await spawnSimulator();
  const prompt = "bench routes";
  await sim.prerender(prompt);
  const runs = { images: [], responses: [] };
  for (let i = 0; i < (quick ? 2 : 5); i++) {
    runs.images.push(await concurrentBatch(sim, prompt, 1, { route: "images" }));
    runs.responses.push(await concurrentBatch(sim, prompt, 1, { route: "responses" }));
  }
  const walls = { images: [], responses: [] };
  const h = await spawnedServer(sim.baseURL);
  for (let i = -1; i < ROUNDS; i++) {
    for (const route of ["images", "responses"]) {
      const t0 = performance.now();
      verified(await h.call("generate_image", { prompt, ...FOUR_K, route, fresh: true }), route);
      if (i >= 0) walls[route].push(performance.now() - t0);
    }
  }
  await h.close();
  await sim.close();
  const m = (route, key) => median(runs[route].map((r) => r[key]));
  const rss = m("responses", "perImage") / m("images", "perImage");
  const wall = median(walls.responses) / median(walls.images);
  record(
    "Responses route, peak RSS per in-flight 4K image",
    `${round(rss)}x (Responses ${Math.round(m("responses", "perImage"))} MB vs Images ${Math.round(m("images", "perImage"))} MB; Images route peak ${Math.round(m("images", "peak"))} MB, idle ${Math.round(m("images", "idle"))} MB; medians of ${runs.images.length})`,
    "<= 1.1x the Images route",
    rss <= 1.1,
    { ratio: round(rss, 3), runs },
  );
  record(
    "Responses route, wall time per 4K image",
    `${round(wall)}x (Responses ${ms(median(walls.responses))} vs Images ${ms(median(walls.images))}, medians of ${ROUNDS})`,
    "<= 1.1x the Images route",
    wall <= 1.1,
    { ratio: round(wall, 3), walls },
  );
}

// Scale: 16 concurrent 4K generations in one server vs 16 bare scripts run at once.
async function scale() {
  log("scale: 16 concurrent 4K generations, PIXELWRIGHT_MAX_CONCURRENCY=16, vs 16 bare openai scripts at once");
  const sim = await spawnSimulator();
  const prompt = "bench scale";
  await sim.prerender(prompt);
  const server = [];
  const bare = [];
  for (let i = 0; i < (quick ? 1 : 2); i++) {
    bare.push((await runBare(sim, prompt, 16)).wall);
    server.push(await concurrentBatch(sim, prompt, 16, {}));
  }
  await sim.close();
  const perImage = median(server.map((s) => s.perImage));
  const ratio = median(server.map((s) => s.wall)) / median(bare);
  record(
    "scale: peak RSS per in-flight 4K image, 16 at once",
    `${Math.round(perImage)} MB (peak ${Math.round(median(server.map((s) => s.peak)))} MB, idle ${Math.round(median(server.map((s) => s.idle)))} MB)`,
    "<= 80 MB",
    perImage <= 80,
    { per_image_mb: Math.round(perImage), runs: server },
  );
  record(
    "scale: wall time, 16 concurrent 4K generations",
    `${round(ratio)}x (server ${ms(median(server.map((s) => s.wall)))} vs 16 bare scripts at once ${ms(median(bare))})`,
    "<= 1.2x 16 bare scripts at once",
    ratio <= 1.2,
    { ratio: round(ratio, 3), bare_ms: bare.map(Math.round) },
  );
}

// Fan-out: n=4 vs n=1 with simulator latency 2 s and concurrency 4 (one image per call, as some gateways).
async function fanOut() {
  log("fan-out: n=4 vs n=1, simulator latency 2 s, concurrency 4 (one image per call)");
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
  await h.close();
  await sim.close();
  const ratio = median(four) / median(one);
  record(
    "fan-out, n=4 vs n=1",
    `${round(ratio)}x (n=4 ${ms(median(four))} vs n=1 ${ms(median(one))})`,
    "<= 1.3x n=1",
    ratio <= 1.3,
    { ratio: round(ratio, 3) },
  );
}

// First feedback: call to first progress notification (for the record).
async function firstFeedback() {
  log("first feedback: call to first progress notification");
  const sim = await startSimulator({ apiKey: KEY, latencyMs: 1500 });
  const h = await inProcess(sim);
  const times = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    let first = null;
    const onprogress = () => {
      first ??= performance.now() - t0;
    };
    await h.call(
      "generate_image",
      { prompt: `feedback ${i}`, size: "3840x2160", return_image: "none" },
      { onprogress },
    );
    times.push(first ?? Number.POSITIVE_INFINITY);
  }
  await h.close();
  await sim.close();
  record("first progress notification", `${round(median(times), 1)} ms median`, "reported", null, {
    median_ms: round(median(times), 1),
  });
}

// validate_size throughput through the in-memory client (for the record).
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
  await h.close();
  await sim.close();
  record("validate_size throughput", `${Math.round(perSecond)} calls/s (sequential, one client)`, "reported", null, {
    calls_per_second: Math.round(perSecond),
  });
}

// The gallery of a 500-image workspace: the page (manifest read, 500 files checked, HTML built) and thumbnails.
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
  if (cold.status !== 200) throw new Error(`gallery: status ${cold.status}`);
  const warm = [];
  for (let i = 0; i < ROUNDS; i++) warm.push((await get("/gallery")).ms);
  const thumbMade = await get("/gallery/thumbs/bench-000.png");
  const thumbCached = [];
  for (let i = 0; i < ROUNDS; i++) thumbCached.push((await get("/gallery/thumbs/bench-000.png")).ms);
  record(
    "gallery page, 500 images (server)",
    `${ms(cold.ms)} first, ${ms(median(warm))} after; ${Math.round(cold.bytes / 1024)} KB`,
    "reported",
    null,
    { first_ms: round(cold.ms, 1), warm_ms: round(median(warm), 1), page_bytes: cold.bytes },
  );
  record(
    "gallery thumbnail",
    `${round(thumbMade.bytes / 1024, 1)} KB (${ms(thumbMade.ms)} to make, ${round(median(thumbCached), 1)} ms cached)`,
    "< 30 KB",
    thumbMade.bytes < 30 * 1024,
    { made_ms: round(thumbMade.ms, 1), cached_ms: round(median(thumbCached), 1), bytes: thumbMade.bytes },
  );
  await server.close(0);
  await runtime.close();
  await h.close();
  await sim.close();
}

// issue 13: the local upscale against a bare sharp resize of the same file, its peak memory, and the
// effective-resolution estimate on a 4K image. Each runs in a child process of its own (bench/imaging-worker.mjs).
async function imagingRows() {
  log("upscale 2560x1440 -> 3840x2160 PNG, and the effective-resolution estimate on a 4K PNG");
  const worker = async (mode) => {
    const child = spawn(process.execPath, [join(root, "bench", "imaging-worker.mjs"), mode, scratch, String(ROUNDS)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (c) => {
      out += c;
    });
    await once(child, "exit");
    return JSON.parse(out);
  };
  const time = await worker("time");
  const ratio = time.ours_ms / time.bare_ms;
  record(
    "upscale 2560x1440 -> 3840x2160 PNG",
    `${round(ratio)}x a bare sharp resize (${Math.round(time.ours_ms)} ms vs ${Math.round(time.bare_ms)} ms)`,
    "<= 1.5x",
    ratio <= 1.5,
    { ratio: round(ratio, 3), ours_ms: Math.round(time.ours_ms), bare_ms: Math.round(time.bare_ms) },
  );
  const memory = await worker("memory");
  record(
    "upscale peak memory",
    `${Math.round(memory.peak_mb)} MB peak RSS (process with sharp loaded: ${Math.round(memory.before_mb)} MB)`,
    "< 200 MB",
    memory.peak_mb < 200,
    { peak_mb: Math.round(memory.peak_mb), before_mb: Math.round(memory.before_mb) },
  );
  const detail = await worker("detail");
  record(
    "effective-resolution estimate, 4K PNG",
    `${Math.round(detail.median_ms)} ms median`,
    "< 1 s",
    detail.median_ms < 1000,
    { median_ms: Math.round(detail.median_ms) },
  );
}

const ROWS = {
  coldStart,
  firstCall,
  overhead,
  bytesReturned,
  routes,
  scale,
  fanOut,
  firstFeedback,
  throughput,
  gallery,
  imagingRows,
  httpFloor: () => httpFloor(record, ROUNDS),
};
// `npm run bench -- --only=coldStart,firstCall` runs some rows (while working on them); the table is the whole run.
const only = process.argv
  .find((a) => a.startsWith("--only="))
  ?.slice(7)
  .split(",");
const started = performance.now();
try {
  for (const [name, row] of Object.entries(ROWS)) if (!only || only.includes(name)) await row();
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const machine = `${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`;
const lines = [
  "",
  `pixelwright benchmark — ${machine} — ${Math.round((performance.now() - started) / 1000)} s`,
  "",
  "| figure | measured | target | ok |",
  "| --- | --- | --- | --- |",
  ...results.map((r) => `| ${r.figure} | ${r.measured} | ${r.target} | ${r.ok === null ? "—" : r.ok ? "yes" : "NO"} |`),
  "",
];
process.stdout.write(lines.join("\n"));
mkdirSync(join(root, "bench-results"), { recursive: true });
const out = join(root, "bench-results", "latest.json");
writeFileSync(out, `${JSON.stringify({ machine, date: new Date().toISOString(), results }, null, 2)}\n`);
process.stdout.write(`JSON: ${out}\n`);
process.exitCode = results.some((r) => r.ok === false) ? 1 : 0;
