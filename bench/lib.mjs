// Helpers the benchmark rows share: processes (the server over stdio, the simulator, baselines), memory readings and
// statistics. Every figure compares processes started the same way in the same run.

import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

export const root = fileURLToPath(new URL("..", import.meta.url));
export const cli = join(root, "dist", "cli.js");
export const baseline = (name) => join(root, "bench", "baselines", name);
export const KEY = "bench-key";
export const scratch = mkdtempSync(join(tmpdir(), "pixelwright-bench-"));
export const log = (text) => process.stderr.write(`${text}\n`);

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
export const ms = (x) => `${Math.round(x)} ms`;

export const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "0" } },
};

/** Spawn a stdio MCP server and time spawn → initialize → notifications/initialized → tools/list answered. */
export async function timeToToolsList(args, env) {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: ["pipe", "pipe", "ignore"] });
  child.stdin.write(`${JSON.stringify(INITIALIZE)}\n`);
  let out = "";
  let initialized = false;
  await new Promise((resolve, reject) => {
    child.on("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code} before tools/list`)));
    child.stdout.on("data", (chunk) => {
      out += chunk;
      if (!initialized && out.includes('"id":1')) {
        initialized = true;
        child.stdin.write(
          `${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n${JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" })}\n`,
        );
      }
      if (out.includes('"id":2')) resolve();
    });
  });
  const elapsed = performance.now() - t0;
  child.removeAllListeners("exit");
  child.stdin.end();
  child.kill("SIGTERM");
  await once(child, "exit").catch(() => {});
  return elapsed;
}

/** `pixelwright` over stdio, as an MCP client spawns it (SDK client), pointed at a simulator. */
export async function spawnedServer(baseURL, env = {}) {
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

/** The bare openai script, n copies at once; resolves with each one's own time (imports included) and the wall. */
export async function runBare(sim, prompt, n = 1) {
  const t0 = performance.now();
  const runs = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const out = join(mkdtempSync(join(scratch, "bare-")), `b${i}.png`);
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
    }),
  );
  return { wall: performance.now() - t0, runs };
}

function status(pid) {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(text)?.[1] ?? 0) / 1024;
  return { rss: field("VmRSS"), peak: field("VmHWM") };
}

/** Samples a process's RSS; `peak()` is the highest seen (and the kernel's own high-water mark since reset). */
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

export const FOUR_K = { size: "3840x2160", quality: "high" };
