// A child process for the imaging rows of bench.mjs, so peak memory (VmHWM) is of the measured work alone.
// node bench/imaging-worker.mjs <time|memory|detail> <scratch dir> <rounds>

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";

const [mode, dir, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 5);
const dist = (path) => import(new URL(`../dist/${path}`, import.meta.url).href);
const { upscaleImage } = await dist("imaging/upscale.js");
const { estimateDetail } = await dist("imaging/detail.js");
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const peakMb = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0) / 1024;

/** A realistically noisy picture (a model's 2K PNG is several MB), written as a file. */
async function noisyFile(width, height, name) {
  const path = join(dir, name);
  if (existsSync(path)) return path; // made by an earlier mode, so this process's peak is of the measured work only
  await sharp({
    create: { width, height, channels: 3, background: "#556677", noise: { type: "gaussian", mean: 128, sigma: 30 } },
  })
    .blur(0.6)
    .png()
    .toFile(path);
  return path;
}

const target = { width: 3840, height: 2160 };
let out;
if (mode === "time") {
  const file = await noisyFile(2560, 1440, "master.png");
  const bare = () =>
    sharp(file)
      .resize({ ...target, fit: "fill" })
      .png()
      .toBuffer();
  const ours = () => upscaleImage(file, target, "lanczos3");
  await bare();
  await ours();
  const times = { bare: [], ours: [] };
  for (let i = 0; i < rounds; i++) {
    for (const [name, run] of [
      ["bare", bare],
      ["ours", ours],
    ]) {
      const t0 = performance.now();
      await run();
      times[name].push(performance.now() - t0);
    }
  }
  out = { bare_ms: median(times.bare), ours_ms: median(times.ours) };
} else if (mode === "memory") {
  const file = await noisyFile(2560, 1440, "master.png");
  const before = peakMb();
  const result = await upscaleImage(file, target, "lanczos3");
  out = { peak_mb: peakMb(), before_mb: before, bytes: result.bytes.length };
} else {
  const file = await noisyFile(3840, 2160, "native-4k.png");
  await estimateDetail(file);
  const times = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await estimateDetail(file);
    times.push(performance.now() - t0);
  }
  out = { median_ms: median(times) };
}
process.stdout.write(JSON.stringify(out));
