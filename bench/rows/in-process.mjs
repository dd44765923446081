// Rows run against an in-process server (real runtime, real openai SDK, in-memory MCP client): fan-out, first
// feedback, validate_size throughput and the gallery.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { callTool, dist, KEY, log, median, ms, round, scratch } from "../lib.mjs";

const { startSimulator } = await dist("simulator/server.js");
const { loadConfig } = await dist("config.js");
const { createLogger } = await dist("log.js");
const { createRuntime } = await dist("runtime.js");
const { connectInProcess } = await dist("cli/call.js");

/** An in-process server pointed at a simulator, with an in-memory MCP client. */
async function inProcess(sim, overrides = {}) {
  const workspace = mkdtempSync(join(scratch, "ws-"));
  const base = loadConfig({ env: { PIXELWRIGHT_WORKSPACE: workspace, OPENAI_API_KEY: KEY } });
  const runtime = await createRuntime({ ...base, baseURL: sim.baseURL, ...overrides }, createLogger("silent"));
  const { client, close } = await connectInProcess(runtime);
  return {
    workspace,
    call: (name, args, options = {}) => callTool(client, name, args, options),
    close: async () => {
      await close();
      await runtime.close();
    },
  };
}
// Fan-out: n=4 vs n=1 with simulator latency 2 s and concurrency 4 (one image per call, as some gateways).
export async function fanOut(ctx) {
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
  for (let i = 0; i < (ctx.quick ? 1 : 3); i++) {
    one.push(await time(1, i));
    four.push(await time(4, i));
  }
  await h.close();
  await sim.close();
  const ratio = median(four) / median(one);
  ctx.record(
    "fan-out, n=4 vs n=1",
    `${round(ratio)}x (n=4 ${ms(median(four))} vs n=1 ${ms(median(one))})`,
    "<= 1.3x n=1",
    ratio <= 1.3,
    { ratio: round(ratio, 3) },
  );
}

// First feedback: call to first progress notification (for the record).
export async function firstFeedback(ctx) {
  log("first feedback: call to first progress notification");
  const sim = await startSimulator({ apiKey: KEY, latencyMs: 1500 });
  const h = await inProcess(sim);
  const times = [];
  for (let i = 0; i < ctx.rounds; i++) {
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
  ctx.record("first progress notification", `${round(median(times), 1)} ms median`, "reported", null, {
    median_ms: round(median(times), 1),
  });
}

// validate_size throughput through the in-memory client (for the record).
export async function throughput(ctx) {
  log("validate_size throughput (in-memory MCP client)");
  const sim = await startSimulator({ apiKey: KEY });
  const h = await inProcess(sim);
  const sizes = ["1920x1080", "3840x2160", "4096x2160", "16:9(4K)", "512x512", "banana", "2048x1152"];
  for (let i = 0; i < 200; i++) await h.call("validate_size", { size: sizes[i % sizes.length] });
  const count = ctx.quick ? 1000 : 3000;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await h.call("validate_size", { size: sizes[i % sizes.length] });
  const perSecond = count / ((performance.now() - t0) / 1000);
  await h.close();
  await sim.close();
  ctx.record(
    "validate_size throughput",
    `${Math.round(perSecond)} calls/s (sequential, one client)`,
    "reported",
    null,
    {
      calls_per_second: Math.round(perSecond),
    },
  );
}

// The gallery of a 500-image workspace: the page (manifest read, 500 files checked, HTML built) and thumbnails.
export async function gallery(ctx) {
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
  for (let i = 0; i < ctx.rounds; i++) warm.push((await get("/gallery")).ms);
  const thumbMade = await get("/gallery/thumbs/bench-000.png");
  const thumbCached = [];
  for (let i = 0; i < ctx.rounds; i++) thumbCached.push((await get("/gallery/thumbs/bench-000.png")).ms);
  ctx.record(
    "gallery page, 500 images (server)",
    `${ms(cold.ms)} first, ${ms(median(warm))} after; ${Math.round(cold.bytes / 1024)} KB`,
    "reported",
    null,
    { first_ms: round(cold.ms, 1), warm_ms: round(median(warm), 1), page_bytes: cold.bytes },
  );
  ctx.record(
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
