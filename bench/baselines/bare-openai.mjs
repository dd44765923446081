#!/usr/bin/env node
// The baseline a user would write without pixelwright: import the openai SDK, ask for one image, decode it, write the
// file and read its size back with sharp. It pays its own imports, as the server's first call does. Prints one JSON
// line: the milliseconds from its first line to the end, and the file's size.
// Usage: node bare-openai.mjs <baseURL> <apiKey> <outFile> <prompt> [size]

const t0 = performance.now();
const [baseURL, apiKey, out, prompt, size = "3840x2160"] = process.argv.slice(2);
const { default: OpenAI } = await import("openai");
const { writeFile } = await import("node:fs/promises");
const openai = new OpenAI({ apiKey, baseURL, maxRetries: 0 });
const response = await openai.images.generate({ model: "gpt-image-2", prompt, size, quality: "high" });
const bytes = Buffer.from(response.data[0].b64_json, "base64");
await writeFile(out, bytes);
const { default: sharp } = await import("sharp");
const meta = await sharp(out).metadata();
if (`${meta.width}x${meta.height}` !== size) throw new Error(`read back ${meta.width}x${meta.height}`);
process.stdout.write(`${JSON.stringify({ ms: performance.now() - t0, bytes: bytes.length })}\n`);
