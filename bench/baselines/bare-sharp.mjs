#!/usr/bin/env node
// The upscale baseline: a bare sharp resize of a file to an exact size, its PNG written, in a process kept running.
// sharp runs as the server runs it (no operation cache, the same thread count). Reads {"op":"resize","source":S,
// "out":O,"width":W,"height":H} lines on stdin and answers each with one line when the file is written.
//   node bare-sharp.mjs

import { writeFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import sharp from "sharp";

sharp.cache(false);
sharp.concurrency(Math.max(1, Math.min(4, sharp.concurrency())));

for await (const line of createInterface({ input: process.stdin })) {
  const job = JSON.parse(line);
  try {
    if (job.op === "resize") {
      const bytes = await sharp(job.source)
        .resize({ width: job.width, height: job.height, fit: "fill" })
        .png()
        .toBuffer();
      await writeFile(job.out, bytes);
      process.stdout.write(`${JSON.stringify({ bytes: bytes.length })}\n`);
    } else {
      process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
    }
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ error: String(err?.stack ?? err) })}\n`);
  }
}
