#!/usr/bin/env node
// pixelwright benchmark: the work users pay for, against the offline simulator (in a process of its own, latency 0
// unless a row needs it) on realistically large, noisy 4K PNGs. Every pass/fail target is a ratio against a baseline
// the bench builds and runs itself in the same run, doing the same work (bench/baselines/), because shared machines
// are noisy: CPU time is each process's own (read from /proc), wall time is reported beside it, and paired rows
// interleave the two sides. Absolute figures are for the record only. Prints one table, writes
// bench-results/latest.json (`npm run bench:doc` turns it into the table of docs/performance.md) and exits 0 only
// when every target holds.
//
// Run: npm run bench (-- --quick: fewer rounds; -- --only=coldStart22,upscaleTool: some rows, while working on them).
//
// Rows are functions (ctx) => void, one group per file in bench/rows/, calling ctx.record(figure, measured, target,
// ok, detail) once per figure (ok: true/false for a target, null for a figure reported for the record). A new row is
// a function in a group and one line in ROWS below. rows/http.mjs: Streamable HTTP (server CPU per call against a
// minimal stateless SDK server and against stdio). rows/jobs.mjs: a detached runner vs in-process (time to first
// progress and to the result; server + runner's memory with 4 concurrent 4K jobs) and replicas on Redis (per-call
// overhead, start).

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { log, root, SDK_LINE, scratch } from "./lib.mjs";
import * as http from "./rows/http.mjs";
import * as image from "./rows/image.mjs";
import * as inProcess from "./rows/in-process.mjs";
import * as jobs from "./rows/jobs.mjs";
import * as start from "./rows/start.mjs";
import * as upscale from "./rows/upscale.mjs";

const ROWS = {
  coldStart22: start.coldStart22,
  coldStart24: start.coldStart24,
  firstCall: start.firstCall,
  steadyOverhead: image.steadyOverhead,
  bytesReturned: image.bytesReturned,
  routes: image.routes,
  scale: image.scale,
  upscaleTool: upscale.upscaleTool,
  detailEstimate: upscale.detailEstimate,
  httpFloor: (ctx) => http.httpFloor(ctx.record, ctx.rounds),
  fanOut: inProcess.fanOut,
  firstFeedback: inProcess.firstFeedback,
  throughput: inProcess.throughput,
  gallery: inProcess.gallery,
  runnerLatency: jobs.runnerLatency,
  runnerMemory: jobs.runnerMemory,
  replicas: jobs.replicas,
};

const quick = process.argv.includes("--quick");
const only = process.argv
  .find((a) => a.startsWith("--only="))
  ?.slice(7)
  .split(",");
const unknown = (only ?? []).filter((name) => !(name in ROWS));
if (unknown.length) throw new Error(`no such row: ${unknown.join(", ")} (rows: ${Object.keys(ROWS).join(", ")})`);

const results = [];
const ctx = {
  quick,
  rounds: quick ? 3 : 7,
  record(figure, measured, target, ok, detail = {}) {
    results.push({ figure, measured, target, ok, ...detail });
    log(`  ${ok === null ? "·" : ok ? "✓" : "✗"} ${figure}: ${measured}`);
  },
};

const started = performance.now();
try {
  for (const [name, row] of Object.entries(ROWS)) {
    if (only && !only.includes(name)) continue;
    try {
      await row(ctx);
    } catch (err) {
      // A row that cannot measure fails its target; the others still run.
      ctx.record(name, `could not be measured: ${err?.message ?? err}`, "measured", false, { row: name });
      log(String(err?.stack ?? err));
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const machine = `${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`;
const seconds = Math.round((performance.now() - started) / 1000);
const lines = [
  "",
  `pixelwright benchmark — ${machine} — MCP SDK ${SDK_LINE} — ${seconds} s`,
  "",
  "| figure | measured | target | ok |",
  "| --- | --- | --- | --- |",
  ...results.map((r) => `| ${r.figure} | ${r.measured} | ${r.target} | ${r.ok === null ? "—" : r.ok ? "yes" : "NO"} |`),
  "",
];
process.stdout.write(lines.join("\n"));
mkdirSync(join(root, "bench-results"), { recursive: true });
const out = join(root, "bench-results", only ? "partial.json" : "latest.json");
const report = { machine, sdk: SDK_LINE, quick, date: new Date().toISOString(), seconds, results };
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`JSON: ${out}\n`);
process.exitCode = results.length > 0 && results.every((r) => r.ok !== false) ? 0 : 1;
