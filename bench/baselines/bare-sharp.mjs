#!/usr/bin/env node
// The upscale baseline: a bare sharp resize of a file to an exact size, its PNG written, in a process kept running.
// sharp runs as the server runs it (no operation cache, the same thread count). Reads {"op":"resize","source":S,
// "out":O,"width":W,"height":H} lines on stdin and answers each with one line when the file is written.
// After each resize the garbage is collected, as it is in a server between calls: a process that never collects keeps its
// last output buffer alive, and glibc's allocator then serves libvips' next buffers by mmap (returned at once) where a
// process that freed a multi-MB buffer serves them from an arena (kept resident) — the server would be measured in one
// state and the baseline in another (measured: 6-8 MB of the upscale row's difference, the same in a bare process
// after a collection).
//   node bare-sharp.mjs

import { writeFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import sharp from "sharp";

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc");

sharp.cache(false);
sharp.concurrency(Math.max(1, Math.min(4, sharp.concurrency())));

for await (const line of createInterface({ input: process.stdin })) {
  const job = JSON.parse(line);
  try {
    if (job.op === "resize") {
      let bytes = await sharp(job.source)
        .resize({ width: job.width, height: job.height, fit: "fill" })
        .png()
        .toBuffer();
      await writeFile(job.out, bytes);
      const length = bytes.length;
      bytes = null;
      collectGarbage(); // inside the job (about 1 ms), so no collection runs into the next measured one
      process.stdout.write(`${JSON.stringify({ bytes: length })}\n`);
    } else {
      process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
    }
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ error: String(err?.stack ?? err) })}\n`);
  }
}
