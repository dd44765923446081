// Local imaging: upscale_image through the MCP client (save, measure, hash, preview, record) against a bare sharp
// resize of the same file, and the effective-resolution estimate on a 4K PNG.

import { spawn } from "node:child_process";
import { once } from "node:events";
import { copyFileSync, existsSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import {
  baseline,
  figures,
  log,
  mb,
  measured,
  measuredWithMemory,
  median,
  ms,
  paired,
  root,
  round,
  scratch,
  spawnedServer,
  spawnWorker,
  verified,
} from "../lib.mjs";

/** A realistically noisy picture (a model's 2K PNG is several MB), written once per run. */
async function noisyPng(width, height) {
  const path = join(scratch, `noisy-${width}x${height}.png`);
  if (existsSync(path)) return path;
  const { default: sharp } = await import("sharp");
  await sharp({
    create: { width, height, channels: 3, background: "#556677", noise: { type: "gaussian", mean: 128, sigma: 30 } },
  })
    .blur(0.6)
    .png()
    .toFile(path);
  return path;
}

const TARGET = { width: 3840, height: 2160 };
const WARM = { source: [1280, 720], target: { width: 2560, height: 1440 } };

/**
 * One round in fresh processes: each side first does the same smaller upscale (code loaded, sharp's threads up), then
 * the measured 2560x1440 -> 3840x2160 upscales; the first one's peak RSS beyond idle is the memory figure.
 */
async function round3(master, small, calls) {
  const serverSide = await spawnedServer("http://127.0.0.1:9/v1"); // local work only: the upstream is never called
  const bare = await spawnWorker(baseline("bare-sharp.mjs"));
  const out = mkdtempSync(join(scratch, "upscaled-"));
  let n = 0;
  const tool = async (source, target) => {
    const path = join(serverSide.workspace, `source-${n++}.png`);
    copyFileSync(source, path); // a new name each time: upscale_image reuses an earlier upscale of the same name
    const size = `${target.width}x${target.height}`;
    return verified(await serverSide.call("upscale_image", { path, size }), "upscale_image");
  };
  const resize = (source, target) => bare.ask({ op: "resize", source, out: join(out, `bare-${n++}.png`), ...target });
  // A long-running server has built its size tables (the first experimental size costs ~0.1 s and ~20 MB once).
  await serverSide.call("validate_size", { size: `${TARGET.width}x${TARGET.height}` });
  await tool(small, WARM.target);
  await resize(small, WARM.target);
  const memory = {
    a: figures(await measuredWithMemory(serverSide.pid, () => tool(master, TARGET))),
    b: figures(await measuredWithMemory(bare.pid, () => resize(master, TARGET))),
  };
  const cpu = await paired(
    calls,
    () => measured(serverSide.pid, () => tool(master, TARGET)),
    () => measured(bare.pid, () => resize(master, TARGET)),
  );
  await Promise.all([serverSide.close(), bare.close()]);
  return { memory, cpu: cpu.runs };
}

export async function upscaleTool(ctx) {
  log("upscale_image 2560x1440 -> 3840x2160 PNG (noisy) through the MCP client vs a bare sharp resize of the file");
  const master = await noisyPng(2560, 1440);
  const small = await noisyPng(...WARM.source);
  const rounds = [];
  for (let i = 0; i < (ctx.quick ? 2 : 3); i++) rounds.push(await round3(master, small, ctx.quick ? 2 : 3));
  const pairs = rounds.flatMap((r) => [
    { a: r.memory.a, b: r.memory.b },
    ...r.cpu.a.map((a, i) => ({ a, b: r.cpu.b[i] })),
  ]);
  const cpu = median(pairs.map((p) => p.a.cpu / p.b.cpu));
  const wall = median(pairs.map((p) => p.a.wall / p.b.wall));
  const mem = median(rounds.map((r) => r.memory.a.added / r.memory.b.added));
  const side = (key, s) => median(pairs.map((p) => p[s][key]));
  const added = (s) => median(rounds.map((r) => r.memory[s].added));
  ctx.record(
    "upscale_image 2560x1440 -> 3840x2160 PNG, CPU",
    `${round(cpu)}x CPU (tool ${ms(side("cpu", "a"))} vs bare resize ${ms(side("cpu", "b"))}; wall ${round(wall)}x, ${ms(side("wall", "a"))} vs ${ms(side("wall", "b"))}; medians of ${pairs.length} pairs)`,
    "<= 1.2x a bare sharp resize of the file",
    cpu <= 1.2,
    { ratio: round(cpu, 3), wall_ratio: round(wall, 3), pairs: pairs.map((p) => ({ a: p.a.cpu, b: p.b.cpu })) },
  );
  ctx.record(
    "upscale_image 2560x1440 -> 3840x2160 PNG, added memory",
    `${round(mem)}x peak RSS beyond idle (tool ${mb(added("a"))} vs bare resize ${mb(added("b"))}; fresh processes, medians of ${rounds.length})`,
    "<= 1.3x a bare sharp resize of the file",
    mem <= 1.3,
    { ratio: round(mem, 3), memory: rounds.map((r) => ({ tool: r.memory.a, bare: r.memory.b })) },
  );
}

// The effective-resolution estimate (imaging/detail.ts) on a noisy 4K PNG, in a process of its own.
export async function detailEstimate(ctx) {
  log("effective-resolution estimate on a noisy 3840x2160 PNG");
  const file = await noisyPng(3840, 2160);
  const child = spawn(process.execPath, [join(root, "bench", "imaging-worker.mjs"), file, String(ctx.rounds)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (c) => {
    out += c;
  });
  await once(child, "exit");
  const { median_ms: median } = JSON.parse(out);
  ctx.record("effective-resolution estimate, 4K PNG", `${Math.round(median)} ms median`, "< 1 s", median < 1000, {
    median_ms: Math.round(median),
  });
}
