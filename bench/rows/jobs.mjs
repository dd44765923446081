// Where paid work runs (issue 21) and what replicas cost (issue 26): a stdio server whose 4K job runs in its detached
// runner against the same server running it in its own process (time to the first progress notification and to the
// result, paired rounds of fresh sessions; peak memory of server + runner with 4 concurrent 4K jobs against one
// process doing the same); and HTTP replicas on Redis against one HTTP server (wall time per call, time to start).

import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import {
  cli,
  dist,
  FOUR_K,
  IN_PROCESS,
  KEY,
  log,
  mb,
  median,
  ms,
  paired,
  pause,
  round,
  scratch,
  spawnedServer,
  spawnListening,
  spawnSimulator,
  verified,
} from "../lib.mjs";

const DETACHED = { PIXELWRIGHT_RUNNER: "detached" };
const { openSqliteBook } = await dist("jobs/sqlite-book.js");
const { parseWorker } = await dist("jobs/book.js");

/** The pid of the process that ran a job: the detached runner, or the server itself. */
async function workerPid(workspace, jobId) {
  const book = await openSqliteBook({ path: join(workspace, ".pixelwright", "state.db") });
  try {
    const job = await book.get(jobId);
    return job?.worker ? parseWorker(job.worker)?.pid : null;
  } finally {
    await book.close();
  }
}

/** A fresh stdio session (handshake, then the warm-up the server does after it), one 4K call with progress. */
async function oneSession(sim, env, i) {
  const server = await spawnedServer(sim.baseURL, env);
  // The session has begun: the server warms up (openai and sharp here, or its runner) as a host's session does.
  await pause(1500);
  const t0 = performance.now();
  let first = null;
  const result = await server.call(
    "generate_image",
    { prompt: `runner bench ${i}`, ...FOUR_K },
    { onprogress: () => (first ??= performance.now() - t0) },
  );
  const total = performance.now() - t0;
  verified(result, "runner bench");
  await server.close();
  return { first, total };
}

export async function runnerLatency(ctx) {
  log("detached runner vs in-process: first progress and result of a 4K job in a fresh stdio session");
  const sim = await spawnSimulator({ PIXELWRIGHT_SIM_LATENCY_MS: "1500" });
  for (let i = 0; i < ctx.rounds; i++) await sim.prerender(`runner bench ${i}`);
  const pairs = await paired(
    ctx.rounds,
    (i) => oneSession(sim, DETACHED, i),
    (i) => oneSession(sim, IN_PROCESS, i),
  );
  await sim.close();
  // The first notification leaves within milliseconds either way: a ratio of two such tiny figures measures the
  // scheduler, so it is judged with 20 ms of slack, and reported as measured.
  const firstRatio = pairs.ratio("first");
  const firstGap = pairs.median("a", "first") - pairs.median("b", "first");
  ctx.record(
    "detached runner: first progress",
    `${round(firstRatio)}x (${ms(pairs.median("a", "first"))} vs ${ms(pairs.median("b", "first"))} in-process)`,
    "<= 1.1x in-process (or within 20 ms)",
    firstRatio <= 1.1 || firstGap <= 20,
    { ratio: round(firstRatio, 3), runs: pairs.runs },
  );
  const totalRatio = pairs.ratio("total");
  ctx.record(
    "detached runner: 4K result",
    `${round(totalRatio)}x (${ms(pairs.median("a", "total"))} vs ${ms(pairs.median("b", "total"))} in-process)`,
    "<= 1.1x in-process",
    totalRatio <= 1.1,
    { ratio: round(totalRatio, 3) },
  );
}

function peakOf(pid) {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(text)?.[1] ?? 0) / 1024;
}

/** Peak RSS of the session's processes (the server, and its runner when detached) with 4 concurrent 4K jobs. */
async function fourAtOnce(sim, env, round_) {
  const server = await spawnedServer(sim.baseURL, env);
  await pause(1500);
  const calls = [0, 1, 2, 3].map((j) => server.call("generate_image", { prompt: `memory ${round_} ${j}`, ...FOUR_K }));
  const results = await Promise.all(calls);
  for (const r of results) verified(r, "memory bench");
  const runner = await workerPid(server.workspace, results[0].structuredContent.job_id);
  const peak = peakOf(server.pid) + (runner && runner !== server.pid ? peakOf(runner) : 0);
  await server.close();
  return { peak };
}

export async function runnerMemory(ctx) {
  log("detached runner vs in-process: peak memory of the session's processes, 4 concurrent 4K jobs over stdio");
  const sim = await spawnSimulator({ PIXELWRIGHT_SIM_LATENCY_MS: "1500" });
  const rounds = ctx.quick ? 2 : 3;
  for (let i = 0; i < rounds; i++) for (let j = 0; j < 4; j++) await sim.prerender(`memory ${i} ${j}`);
  const pairs = await paired(
    rounds,
    (i) => fourAtOnce(sim, DETACHED, i),
    (i) => fourAtOnce(sim, IN_PROCESS, i),
  );
  await sim.close();
  const ratio = pairs.ratio("peak");
  ctx.record(
    "detached runner: peak memory, 4 x 4K",
    `${round(ratio)}x (server + runner ${mb(pairs.median("a", "peak"))} vs one process ${mb(pairs.median("b", "peak"))})`,
    "<= 1.3x one process",
    ratio <= 1.3,
    { ratio: round(ratio, 3), runs: pairs.runs },
  );
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** A throwaway redis-server on a free loopback port, or null when none is installed. */
async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(scratch, "redis-"));
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", ""], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  const up = await new Promise((resolve) => {
    child.once("error", () => resolve(false));
    child.stdout.on("data", (c) => /Ready to accept connections/.test(String(c)) && resolve(true));
  });
  if (!up) return null;
  return { url: `redis://127.0.0.1:${port}`, close: () => child.kill("SIGTERM") };
}

/** `pixelwright http` started and listening: how long that took, and its URL. */
async function startHttp(env) {
  const t0 = performance.now();
  const { child, url } = await spawnListening([cli, "http", "--port", "0"], { PIXELWRIGHT_LOG_LEVEL: "warn", ...env });
  return {
    url,
    startMs: performance.now() - t0,
    close: async () => {
      child.removeAllListeners("exit");
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}

/** Wall time of one generate_image over HTTP (a fresh request each, as stateless clients send). */
async function oneCall(url, prompt) {
  const t0 = performance.now();
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-11-25",
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "generate_image", arguments: { prompt, return_image: "none" } },
    }),
  });
  const text = await res.text();
  if (!text.includes("completed")) throw new Error(`replica bench: ${text.slice(0, 300)}`);
  return performance.now() - t0;
}

export async function replicas(ctx) {
  log("replicas on Redis vs one HTTP server: wall time per generate_image (latency 0), and time to start");
  const redis = await startRedis();
  if (!redis) {
    ctx.record("replicas", "not measured: redis-server is not installed", "measured", false);
    return;
  }
  const sim = await spawnSimulator();
  const env = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: sim.baseURL };
  const calls = ctx.quick ? 10 : 25;
  const sides = { one: [], replica: [], startOne: [], startReplica: [] };
  try {
    for (let i = 0; i < (ctx.quick ? 2 : 3); i++) {
      for (const side of ["one", "replica"]) {
        const workspace = mkdtempSync(join(scratch, `http-${side}-`));
        const server = await startHttp({
          ...env,
          PIXELWRIGHT_WORKSPACE: workspace,
          ...(side === "replica" ? { PIXELWRIGHT_REDIS_URL: redis.url } : {}),
        });
        sides[side === "one" ? "startOne" : "startReplica"].push(server.startMs);
        await oneCall(server.url, `warm ${side} ${i}`);
        for (let c = 0; c < calls; c++) sides[side].push(await oneCall(server.url, `call ${side} ${i} ${c}`));
        await server.close();
      }
    }
  } finally {
    await sim.close();
    redis.close();
  }
  const extra = median(sides.replica) - median(sides.one);
  ctx.record(
    "replicas: per-call overhead",
    `+${ms(extra)} (${ms(median(sides.replica))} vs ${ms(median(sides.one))} median per call)`,
    "<= +25 ms",
    extra <= 25,
    { extraMs: round(extra, 1) },
  );
  const slower = median(sides.startReplica) - median(sides.startOne);
  ctx.record(
    "replicas: start",
    `+${ms(slower)} (${ms(median(sides.startReplica))} vs ${ms(median(sides.startOne))} to listening)`,
    "<= +0.5 s",
    slower <= 500,
    { extraMs: round(slower, 1) },
  );
  writeFileSync(join(scratch, "replicas.json"), JSON.stringify(sides));
}
