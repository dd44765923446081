// The 4K image path: the server's CPU per warm call against the bare openai script doing the same work, the bytes a
// result costs, the Responses route against the Images route, and 16 calls at once against 16 calls in one bare process.
// CPU is each process's own (/proc), so a loaded machine changes wall times but not the work counted.

import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import {
  bareWorker,
  baseline,
  baselineEnv,
  cli,
  FOUR_K,
  IN_PROCESS,
  KEY,
  log,
  mb,
  measured,
  measuredWithMemory,
  median,
  ms,
  paired,
  round,
  scratch,
  spawnedServer,
  spawnSimulator,
  verified,
  wireBytesOfCall,
} from "../lib.mjs";

// Steady state: CPU per warm 4K call, the server process's against a bare openai script's (kept running) doing the
// same work: call, decode, write, hash, read the size back, make the preview.
export async function steadyOverhead(ctx) {
  log("CPU per warm 4K call: the server vs a bare openai script doing the same work, paired");
  const sim = await spawnSimulator();
  const prompt = "bench 4k hero";
  await sim.prerender(prompt);
  const h = await spawnedServer(sim.baseURL);
  const bare = await bareWorker(sim);
  const server = () =>
    measured(h.pid, async () => verified(await h.call("generate_image", { prompt, ...FOUR_K, fresh: true }), "steady"));
  const script = () => measured(bare.pid, () => bare.run(prompt, 1));
  for (let i = 0; i < 2; i++) {
    await server();
    await script();
  }
  const pairs = await paired(ctx.rounds + 2, server, script);
  await Promise.all([h.close(), bare.close()]);
  await sim.close();
  const ratio = pairs.ratio("cpu");
  ctx.record(
    "CPU per warm 4K call (steady state)",
    `${round(ratio)}x CPU (server ${ms(pairs.median("a", "cpu"))} vs bare script ${ms(pairs.median("b", "cpu"))} per call; wall ${round(pairs.ratio("wall"))}x, ${ms(pairs.median("a", "wall"))} vs ${ms(pairs.median("b", "wall"))}; medians of ${ctx.rounds + 2} pairs)`,
    "<= 1.2x a bare openai script doing the same work (CPU)",
    ratio <= 1.2,
    { ratio: round(ratio, 3), wall_ratio: round(pairs.ratio("wall"), 3), runs: pairs.runs },
  );
}

// Bytes returned: pixelwright's 4K result vs a naive server (SDK call, PNG inlined as an image block), both on the wire.
export async function bytesReturned(ctx) {
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
    ...IN_PROCESS,
  };
  const ours = await wireBytesOfCall([cli], env, { name: "generate_image", arguments: { prompt, ...FOUR_K } });
  const naive = await wireBytesOfCall([baseline("naive-server.mjs")], baselineEnv(env), {
    name: "generate_image",
    arguments: { prompt, size: FOUR_K.size },
  });
  await sim.close();
  const ratio = ours / naive;
  ctx.record(
    "bytes returned per 4K result",
    `${round(ratio, 4)}x (${round(ours / 1024, 1)} KB vs a naive server inlining the PNG: ${round(naive / 1048576, 1)} MB, both measured on stdout)`,
    "<= 0.01x a naive server",
    ratio <= 0.01,
    { ratio: round(ratio, 5), result_bytes: ours, naive_bytes: naive },
  );
}

/** One 4K call in a fresh server (after one small call): its peak RSS beyond idle. */
async function inFlightPeak(sim, prompt, route) {
  const h = await spawnedServer(sim.baseURL);
  await h.call("generate_image", { prompt: "warm", size: "1024x1024", route, fresh: true });
  const m = await measuredWithMemory(h.pid, () => h.call("generate_image", { prompt, ...FOUR_K, route, fresh: true }));
  verified(m.value, route);
  await h.close();
  return { added: m.added, peak: m.peak, idle: m.idle };
}

// The Responses route vs the Images route for a 4K image: CPU and wall per call in one server, routes alternating;
// peak RSS per in-flight image in fresh servers (one image at a time: with several the figure measures overlap).
export async function routes(ctx) {
  log("Responses route vs Images route: CPU and wall per 4K call (one server), peak RSS per image (fresh servers)");
  const sim = await spawnSimulator();
  const prompt = "bench routes";
  await sim.prerender(prompt);
  const h = await spawnedServer(sim.baseURL);
  const call = (route) => () =>
    measured(h.pid, async () =>
      verified(await h.call("generate_image", { prompt, ...FOUR_K, route, fresh: true }), route),
    );
  await call("images")();
  await call("responses")();
  const n = ctx.rounds + 4;
  const pairs = await paired(n, call("responses"), call("images"));
  await h.close();
  const memory = { images: [], responses: [] };
  for (let i = 0; i < (ctx.quick ? 2 : 4); i++) {
    memory.images.push(await inFlightPeak(sim, prompt, "images"));
    memory.responses.push(await inFlightPeak(sim, prompt, "responses"));
  }
  await sim.close();
  const cpu = pairs.ratio("cpu");
  const wall = pairs.ratio("wall");
  const added = (route) => median(memory[route].map((r) => r.added));
  const rss = added("responses") / added("images");
  const tail = `medians of ${n} pairs`;
  ctx.record(
    "Responses route, CPU per 4K image",
    `${round(cpu)}x (Responses ${ms(pairs.median("a", "cpu"))} vs Images ${ms(pairs.median("b", "cpu"))}; ${tail})`,
    "<= 1.1x the Images route",
    cpu <= 1.1,
    { ratio: round(cpu, 3), runs: pairs.runs },
  );
  ctx.record(
    "Responses route, wall time per 4K image",
    `${round(wall)}x (Responses ${ms(pairs.median("a", "wall"))} vs Images ${ms(pairs.median("b", "wall"))}; ${tail})`,
    "<= 1.1x the Images route",
    wall <= 1.1,
    { ratio: round(wall, 3) },
  );
  ctx.record(
    "Responses route, peak RSS per in-flight 4K image",
    `${round(rss)}x (Responses ${mb(added("responses"))} vs Images ${mb(added("images"))} beyond idle; medians of ${memory.images.length} fresh servers)`,
    "<= 1.1x the Images route",
    rss <= 1.1,
    { ratio: round(rss, 3), memory },
  );
}

/** n 4K calls at once in a fresh process, after one 4K call: CPU, wall, peak RSS and what it added. */
async function batch(pid, warm, run) {
  await warm();
  return measuredWithMemory(pid, run);
}

// Scale: 16 concurrent 4K generations in one server vs 16 calls at once in one bare process (each fresh, after one
// call): the same work, one Node start each.
export async function scale(ctx) {
  log("scale: 16 concurrent 4K calls in one server (PIXELWRIGHT_MAX_CONCURRENCY=16) vs 16 in one bare process");
  const sim = await spawnSimulator();
  const prompt = "bench scale";
  await sim.prerender(prompt);
  const N = 16;
  const server = async () => {
    const h = await spawnedServer(sim.baseURL, { PIXELWRIGHT_MAX_CONCURRENCY: String(N) });
    const one = () => h.call("generate_image", { prompt, ...FOUR_K, fresh: true });
    const m = await batch(h.pid, one, async () => {
      for (const c of await Promise.all(Array.from({ length: N }, one))) verified(c, "scale");
    });
    await h.close();
    return m;
  };
  const bare = async () => {
    const b = await bareWorker(sim);
    const m = await batch(
      b.pid,
      () => b.run(prompt, 1),
      () => b.run(prompt, N),
    );
    await b.close();
    return m;
  };
  const pairs = await paired(ctx.quick ? 1 : 3, server, bare);
  await sim.close();
  const cpu = pairs.ratio("cpu");
  const peak = pairs.ratio("peak");
  const perImage = median(pairs.runs.a.map((r) => r.added / N));
  const detail = `server ${ms(pairs.median("a", "cpu"))} vs bare ${ms(pairs.median("b", "cpu"))} CPU; peak RSS ${mb(pairs.median("a", "peak"))} vs ${mb(pairs.median("b", "peak"))} (idle ${mb(pairs.median("a", "idle"))} vs ${mb(pairs.median("b", "idle"))}); wall ${round(pairs.ratio("wall"))}x, ${ms(pairs.median("a", "wall"))} vs ${ms(pairs.median("b", "wall"))}; medians of ${pairs.runs.a.length} pairs`;
  ctx.record(
    "scale: 16 concurrent 4K calls, CPU",
    `${round(cpu)}x (${detail})`,
    "<= 1.0x 16 calls at once in one bare process",
    cpu <= 1.0,
    { ratio: round(cpu, 3), wall_ratio: round(pairs.ratio("wall"), 3), runs: pairs.runs },
  );
  ctx.record(
    "scale: 16 concurrent 4K calls, peak memory",
    `${round(peak)}x peak RSS (${mb(pairs.median("a", "peak"))} vs ${mb(pairs.median("b", "peak"))}; ${mb(perImage)} per in-flight image beyond idle)`,
    "<= 1.0x 16 calls at once in one bare process; <= 80 MB per image",
    peak <= 1.0 && perImage <= 80,
    { ratio: round(peak, 3), per_image_mb: Math.round(perImage) },
  );
}
