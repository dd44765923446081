// Helpers the benchmark rows share: processes (the server over stdio, the simulator, the baselines), their CPU time
// and memory read from /proc, paired runs and statistics. Every figure compares processes started the same way in the
// same run, measured with the same instrument.

import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("..", import.meta.url));
export const cli = join(root, "dist", "cli.js");
export const baseline = (name) => join(root, "bench", "baselines", name);
export const KEY = "bench-key";
export const scratch = mkdtempSync(join(tmpdir(), "pixelwright-bench-"));
export const log = (text) => process.stderr.write(`${text}\n`);
export const dist = (path) => import(new URL(`../dist/${path}`, import.meta.url).href);

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const sum = (xs) => xs.reduce((a, b) => a + b, 0);
export const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
export const ms = (x) => `${Math.round(x)} ms`;
export const mb = (x) => `${Math.round(x)} MB`;
export const pause = (millis) => new Promise((r) => setTimeout(r, millis));

/**
 * The MCP SDK line the project depends on: "v2" once package.json has the split packages, else "v1". The baselines
 * and the bench's own client use the same line as the server, so they follow a migration without edits.
 */
export const SDK_LINE = (() => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  return pkg.dependencies?.["@modelcontextprotocol/server"] ? "v2" : "v1";
})();

/** The SDK's client classes, from the line the project depends on. */
export async function clientSdk() {
  if (SDK_LINE === "v2") {
    const [{ Client }, { StdioClientTransport }] = await Promise.all([
      import("@modelcontextprotocol/client"),
      import("@modelcontextprotocol/client/stdio"),
    ]);
    return { Client, StdioClientTransport };
  }
  const [{ Client }, { StdioClientTransport }] = await Promise.all([
    import("@modelcontextprotocol/sdk/client/index.js"),
    import("@modelcontextprotocol/sdk/client/stdio.js"),
  ]);
  return { Client, StdioClientTransport };
}

/** tools/call through an SDK client of the project's line (v1 takes a result schema before the options; v2 does not). */
export function callTool(client, name, args, options = {}) {
  const params = { name, arguments: args };
  const withTimeout = { timeout: 600_000, ...options };
  return SDK_LINE === "v2" ? client.callTool(params, withTimeout) : client.callTool(params, undefined, withTimeout);
}

/** The environment a baseline server runs with: which SDK line to import (bench/baselines/sdk.mjs reads it). */
export const baselineEnv = (env = process.env) => ({ ...env, PIXELWRIGHT_BENCH_SDK: SDK_LINE });

const TICK_MS = 1000 / (Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100);

/** A process's CPU time so far (user + system, every thread, those that ended included), in milliseconds. */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/**
 * A process's CPU time so far to the nanosecond: the run time of each of its threads (schedstat of each task in /proc/<pid>/task).
 * Threads that ended are not counted, so this is for short spans in which none end (a start-up); cpuMs() otherwise.
 */
export function cpuPreciseMs(pid) {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns / 1e6;
}

/** Runs `work` and returns its wall time and the CPU time process `pid` spent meanwhile (and what `work` gave). */
export async function measured(pid, work) {
  const cpu0 = cpuMs(pid);
  const t0 = performance.now();
  const value = await work();
  return { wall: performance.now() - t0, cpu: cpuMs(pid) - cpu0, value };
}

/** A measurement's figures, without the work's own value (a tool result, say), for the JSON report. */
export const figures = ({ value: _value, ...rest }) => rest;

/**
 * Paired, interleaved rounds: a, b, a, b … so both see the same machine; the ratio is taken pair by pair and its
 * median reported (a drift in the machine's speed moves both sides of a pair alike).
 */
export async function paired(rounds, a, b) {
  const runs = { a: [], b: [] };
  for (let i = 0; i < rounds; i++) {
    runs.b.push(figures(await b(i)));
    runs.a.push(figures(await a(i)));
  }
  const ratio = (key) => median(runs.a.map((x, i) => x[key] / runs.b[i][key]));
  return { runs, ratio, median: (side, key) => median(runs[side].map((x) => x[key])) };
}

export const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "0" } },
};

/**
 * Spawns a stdio MCP server and times spawn → initialize → notifications/initialized → tools/list answered; the CPU
 * is the process's own at that moment (every thread's, to the nanosecond).
 */
export async function timeToToolsList(args, env, node = process.execPath) {
  const t0 = performance.now();
  const child = spawn(node, args, { env, stdio: ["pipe", "pipe", "ignore"] });
  child.stdin.write(`${JSON.stringify(INITIALIZE)}\n`);
  let out = "";
  let initialized = false;
  const cpu = await new Promise((resolve, reject) => {
    child.on("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code} before tools/list`)));
    child.stdout.on("data", (chunk) => {
      out += chunk;
      if (!initialized && out.includes('"id":1')) {
        initialized = true;
        child.stdin.write(
          `${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n${JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" })}\n`,
        );
      }
      if (out.includes('"id":2')) resolve(cpuPreciseMs(child.pid));
    });
  });
  const wall = performance.now() - t0;
  child.removeAllListeners("exit");
  child.stdin.end();
  child.kill("SIGTERM");
  await once(child, "exit").catch(() => {});
  return { wall, cpu };
}

/** Spawns a stdio server, runs one tools/call and returns the bytes of its answer as they came over stdout. */
export async function wireBytesOfCall(args, env, call) {
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

/**
 * Paid work runs in the server's own process for the rows that measure it (PIXELWRIGHT_RUNNER=in-process), so the
 * server's CPU and memory are all of it; the detached runner's own cost against in-process is a row of its own.
 */
export const IN_PROCESS = { PIXELWRIGHT_RUNNER: "in-process" };

/** `pixelwright` over stdio, as an MCP client spawns it (SDK client), pointed at a simulator. */
export async function spawnedServer(baseURL, env = {}) {
  const { Client, StdioClientTransport } = await clientSdk();
  const workspace = mkdtempSync(join(scratch, "spawned-"));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cli],
    env: {
      ...process.env,
      OPENAI_API_KEY: KEY,
      OPENAI_BASE_URL: baseURL,
      PIXELWRIGHT_WORKSPACE: workspace,
      PIXELWRIGHT_LOG_LEVEL: "warn",
      ...IN_PROCESS,
      ...env,
    },
    stderr: "ignore",
  });
  const client = new Client({ name: "bench", version: "0" });
  await client.connect(transport);
  return {
    client,
    workspace,
    pid: transport.pid,
    call: (name, args, options = {}) => callTool(client, name, args, options),
    close: () => client.close(),
  };
}

/** A server that prints "listening on <url>/mcp" on stderr (pixelwright http, an HTTP baseline), and its URL. */
export async function spawnListening(args, env = {}) {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  const url = await new Promise((resolve, reject) => {
    child.stderr.on("data", (c) => {
      err += c;
      const m = /listening on (http:\/\/\S+\/mcp)/.exec(err);
      if (m) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited ${code}: ${err}`)));
  });
  return { child, url };
}

/** The simulator in a process of its own, so its CPU work never shares an event loop with what is measured. */
export async function spawnSimulator(env = {}) {
  const child = spawn(process.execPath, [cli, "simulator", "--port", "0"], {
    env: { ...process.env, PIXELWRIGHT_LOG_LEVEL: "warn", PIXELWRIGHT_SIM_REALISTIC: "1", ...env },
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
  const simRoot = url.replace(/\/v1$/, "");
  return {
    baseURL: url,
    pid: child.pid,
    stats: async () => (await fetch(`${simRoot}/_sim/stats`)).json(),
    /** Renders (and caches) a 4K picture for this prompt, so measurements never include the first render. */
    prerender: async (prompt, size = "3840x2160") => {
      const r = await fetch(`${url}/images/generations`, {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ prompt, size, quality: "high" }),
      });
      await r.arrayBuffer();
    },
    close: async () => {
      child.removeAllListeners("exit");
      child.kill("SIGTERM");
      await once(child, "exit").catch(() => {});
    },
  };
}

/**
 * A baseline that stays up and does work on request: one JSON line in per job, one JSON line out when it is done.
 * Its CPU and memory are read from /proc like the server's.
 */
export async function spawnWorker(script, args = []) {
  const child = spawn(process.execPath, [script, ...args], { cwd: root, stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = once(child, "exit").then(([code]) => {
    throw new Error(`${script} exited with ${code}`);
  });
  exited.catch(() => {});
  const ask = async (job) => {
    child.stdin.write(`${JSON.stringify(job)}\n`);
    const { value, done } = await Promise.race([lines.next(), exited]);
    if (done) throw new Error(`${script} ended`);
    const answer = JSON.parse(value);
    if (answer.error) throw new Error(`${script}: ${answer.error}`);
    return answer;
  };
  await ask({ op: "ready" });
  return {
    pid: child.pid,
    ask,
    close: async () => {
      child.stdin.end();
      await once(child, "exit").catch(() => {});
    },
  };
}

/** The bare openai script, one process per run (its imports included); resolves with its own report. */
export async function runBareOnce(sim, prompt) {
  const out = join(mkdtempSync(join(scratch, "bare-")), "b.png");
  const child = spawn(process.execPath, [baseline("bare-openai.mjs"), sim.baseURL, KEY, out, prompt], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c) => {
    stdout += c;
  });
  child.stderr.on("data", (c) => {
    stderr += c;
  });
  const [code] = await once(child, "exit");
  if (code !== 0) throw new Error(`bare script failed: ${stderr}`);
  return JSON.parse(stdout);
}

/** The bare openai script kept running: `run(n)` does n calls at once in that one process. */
export async function bareWorker(sim) {
  const dir = mkdtempSync(join(scratch, "bare-"));
  const worker = await spawnWorker(baseline("bare-openai.mjs"), ["--serve", sim.baseURL, KEY, dir]);
  return { ...worker, run: (prompt, n = 1) => worker.ask({ op: "generate", prompt, n }) };
}

function status(pid) {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(text)?.[1] ?? 0) / 1024;
  return { rss: field("VmRSS"), peak: field("VmHWM") };
}

/** Samples a process's RSS; `stop()` gives the highest seen (and the kernel's own high-water mark since reset). */
export function memoryWatch(pid) {
  try {
    // "5" resets the kernel's peak RSS (VmHWM) to the current RSS, so the peak is of what follows.
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
  } catch {
    // Not permitted: the sampled maximum still holds.
  }
  const idle = status(pid).rss;
  let sampled = idle;
  const timer = setInterval(() => {
    sampled = Math.max(sampled, status(pid).rss);
  }, 20);
  return {
    idle,
    stop() {
      clearInterval(timer);
      return Math.max(sampled, status(pid).peak);
    },
  };
}

/** `measured` plus the process's peak RSS during the work and its RSS just before (MB). */
export async function measuredWithMemory(pid, work) {
  const watch = memoryWatch(pid);
  const m = await measured(pid, work);
  const peak = watch.stop();
  return { ...m, peak, idle: watch.idle, added: peak - watch.idle };
}

export const FOUR_K = { size: "3840x2160", quality: "high" };

export const verified = (result, what) => {
  if (!result.structuredContent?.images?.[0]?.verified && !result.structuredContent?.image?.verified) {
    throw new Error(`${what}: the image was not verified (${JSON.stringify(result.content?.[0] ?? result)})`);
  }
  return result;
};
