#!/usr/bin/env node
// The baseline a user would write without pixelwright, doing the same work per image as the server: ask the openai
// SDK for one image, decode it, write the file, hash it, read its size back with sharp and make the 1024 px JPEG
// preview an agent sees. sharp runs as the server runs it (no operation cache, the same thread count), so neither side
// keeps pixels the other would not.
//
// One shot (imports included, as the server's first call pays them): prints {ms, cpu_ms, bytes}.
//   node bare-openai.mjs <baseURL> <apiKey> <outFile> <prompt> [size]
// Kept running (one process, calls at once on request): reads {"op":"generate","prompt":P,"n":N} lines on stdin and
// answers each with one line when its N calls are done.
//   node bare-openai.mjs --serve <baseURL> <apiKey> <outDir>

import { createHash } from "node:crypto";
import { join } from "node:path";
import { createInterface } from "node:readline";

const t0 = performance.now();
const serve = process.argv[2] === "--serve";
const [baseURL, apiKey, out, promptArg, size = "3840x2160"] = process.argv.slice(serve ? 3 : 2);
const { default: OpenAI } = await import("openai");
const { writeFile } = await import("node:fs/promises");
const openai = new OpenAI({ apiKey, baseURL, maxRetries: 0 });
let sharp;

async function oneImage(prompt, file) {
  const response = await openai.images.generate({ model: "gpt-image-2", prompt, size, quality: "high" });
  const bytes = Buffer.from(response.data[0].b64_json, "base64");
  await writeFile(file, bytes);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  if (!sharp) {
    sharp = (await import("sharp")).default;
    sharp.cache(false);
    sharp.concurrency(Math.max(1, Math.min(4, sharp.concurrency())));
  }
  const meta = await sharp(file).metadata();
  if (`${meta.width}x${meta.height}` !== size) throw new Error(`read back ${meta.width}x${meta.height}`);
  const preview = await sharp(bytes, { sequentialRead: true })
    .resize({ width: 1024, height: 1024, fit: "inside" })
    .jpeg({ quality: 80 })
    .toBuffer();
  return { bytes: bytes.length, sha256, preview: preview.toString("base64").length };
}

if (!serve) {
  const made = await oneImage(promptArg, out);
  const cpu = process.cpuUsage();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  process.stdout.write(`${JSON.stringify({ ms: performance.now() - t0, cpu_ms: cpuMs, bytes: made.bytes })}\n`);
} else {
  let count = 0;
  for await (const line of createInterface({ input: process.stdin })) {
    const job = JSON.parse(line);
    try {
      if (job.op === "generate") {
        const started = performance.now();
        const made = await Promise.all(
          Array.from({ length: job.n ?? 1 }, () => oneImage(job.prompt, join(out, `b${count++}.png`))),
        );
        process.stdout.write(`${JSON.stringify({ ms: performance.now() - started, images: made.length })}\n`);
      } else {
        process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
      }
    } catch (err) {
      process.stdout.write(`${JSON.stringify({ error: String(err?.stack ?? err) })}\n`);
    }
  }
}
