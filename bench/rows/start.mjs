// Start-up rows: spawn to tools/list on each Node line the project supports, and the first 4K call of a fresh server.

import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import {
  baseline,
  baselineEnv,
  cli,
  cpuMs,
  FOUR_K,
  log,
  median,
  ms,
  paired,
  pause,
  round,
  runBareOnce,
  SDK_LINE,
  scratch,
  spawnedServer,
  spawnSimulator,
  timeToToolsList,
  verified,
} from "../lib.mjs";

/** The node binary of a major line: this one, else the `node` npm package's (as CI gets Node 22 and 24). */
function nodeOf(major) {
  if (process.versions.node.split(".")[0] === String(major)) return process.execPath;
  return execFileSync("npx", ["-y", `node@${major}`, "-p", "process.execPath"], { encoding: "utf8" }).trim();
}

/**
 * Cold start on one Node line: spawn → tools/list answered, pixelwright vs a minimal SDK McpServer with one tool,
 * paired and interleaved. Node >= 22.1 caches compiled code between starts (dist/cli.js turns it on); the first start
 * after an install or a build has an empty cache, so it is measured too: each such start gets a new cache directory.
 */
async function coldStartOn(ctx, major) {
  const node = nodeOf(major);
  const version = execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
  log(`cold start on Node ${version}: spawn -> tools/list answered, vs a minimal SDK (${SDK_LINE}) McpServer`);
  const env = { ...process.env, PIXELWRIGHT_LOG_LEVEL: "error" };
  delete env.OPENAI_API_KEY; // the offline default: the embedded simulator starts too
  delete env.NODE_COMPILE_CACHE;
  const server = (cache) => () =>
    timeToToolsList(
      [cli],
      {
        ...env,
        PIXELWRIGHT_WORKSPACE: mkdtempSync(join(scratch, "cold-")),
        ...(cache ? { NODE_COMPILE_CACHE: mkdtempSync(join(scratch, "compile-cache-")) } : {}),
      },
      node,
    );
  const minimal = () => timeToToolsList([baseline("minimal-server.mjs")], baselineEnv(env), node);
  await server(false)(); // the compile cache of this build is written
  const n = ctx.quick ? 5 : 11;
  const warm = await paired(n, server(false), minimal);
  const first = await paired(ctx.quick ? 3 : 5, server(true), minimal);
  // CPU is the target: on a shared machine wall time mostly measures the other processes; both are printed.
  const ratio = warm.ratio("cpu");
  const wall = warm.ratio("wall");
  record(ctx, {
    figure: `cold start, spawn to tools/list answered (Node ${major})`,
    measured: `${round(ratio)}x CPU (pixelwright ${ms(warm.median("a", "cpu"))} vs minimal SDK server ${ms(warm.median("b", "cpu"))}; wall ${round(wall)}x, ${ms(warm.median("a", "wall"))} vs ${ms(warm.median("b", "wall"))}; medians of ${n} pairs). First start after a build (empty compile cache): ${round(first.ratio("cpu"))}x CPU, ${round(first.ratio("wall"))}x wall`,
    target: "<= 1.0x a minimal SDK McpServer (CPU to tools/list)",
    ok: ratio <= 1.0,
    ratio: round(ratio, 3),
    wall_ratio: round(wall, 3),
    first_start_cpu_ratio: round(first.ratio("cpu"), 3),
    first_start_wall_ratio: round(first.ratio("wall"), 3),
    node: version,
    sdk: SDK_LINE,
    runs: warm.runs,
    first_start_runs: first.runs,
  });
}

function record(ctx, row) {
  const { figure, measured, target, ok, ...detail } = row;
  ctx.record(figure, measured, target, ok, detail);
}

export const coldStart22 = (ctx) => coldStartOn(ctx, 22);
export const coldStart24 = (ctx) => coldStartOn(ctx, 24);

// The first 4K call of a freshly spawned server vs the bare openai script (which pays its own imports). The client
// does what MCP clients do: initialize, tools/list, then the call once the model has chosen the tool (1 s here, less
// than a model takes). The same call sent the moment tools/list is answered is printed for the record.
const THINK_MS = 1000;
export async function firstCall(ctx) {
  log(`first 4K call after spawn (initialize, tools/list, ${THINK_MS} ms, call) vs a bare openai script`);
  const sim = await spawnSimulator();
  const prompt = "bench first call";
  await sim.prerender(prompt);
  await runBareOnce(sim, prompt); // the disk cache and the simulator are warm for both
  const runs = { server: [], immediate: [], bare: [], server_cpu: [], bare_cpu: [] };
  const n = ctx.quick ? 3 : 5;
  const first = async (wait) => {
    const h = await spawnedServer(sim.baseURL);
    await h.client.listTools();
    await pause(wait);
    const t0 = performance.now();
    verified(await h.call("generate_image", { prompt, ...FOUR_K }), "first call");
    const elapsed = { wall: performance.now() - t0, cpu: cpuMs(h.pid) };
    await h.close();
    return elapsed;
  };
  for (let i = 0; i < n; i++) {
    const bare = await runBareOnce(sim, prompt);
    runs.bare.push(bare.ms);
    runs.bare_cpu.push(bare.cpu_ms);
    const server = await first(THINK_MS);
    runs.server.push(server.wall);
    runs.server_cpu.push(server.cpu);
    runs.immediate.push((await first(0)).wall);
  }
  await sim.close();
  const ratio = median(runs.server) / median(runs.bare);
  const immediate = median(runs.immediate) / median(runs.bare);
  ctx.record(
    `first 4K call after spawn (${THINK_MS / 1000} s after tools/list)`,
    `${round(ratio)}x wall (server ${ms(median(runs.server))} vs bare script ${ms(median(runs.bare))}, its imports included; medians of ${n}. CPU from spawn to result, MCP start included: ${round(median(runs.server_cpu) / median(runs.bare_cpu))}x, ${ms(median(runs.server_cpu))} vs ${ms(median(runs.bare_cpu))}; sent the moment tools/list is answered: ${round(immediate)}x, ${ms(median(runs.immediate))})`,
    "<= 1.15x a bare openai script doing the same work",
    ratio <= 1.15,
    {
      ratio: round(ratio, 3),
      cpu_ratio: round(median(runs.server_cpu) / median(runs.bare_cpu), 3),
      immediate_ratio: round(immediate, 3),
      server_ms: runs.server.map(Math.round),
      immediate_ms: runs.immediate.map(Math.round),
      bare_ms: runs.bare.map(Math.round),
      server_cpu_ms: runs.server_cpu.map(Math.round),
      bare_cpu_ms: runs.bare_cpu.map(Math.round),
    },
  );
}
