// A workspace of 30 images for the gallery tests: stable and experimental sizes, two models, three silent
// downscales (mismatch), one file whose record says it was upscaled, and one hostile prompt.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SimHarness } from "./simulated.js";

export const HOSTILE_PROMPT = '<img src=x onerror="document.title=1"> & </script> a lighthouse';

export interface GalleryFixture {
  files: string[];
  /** Counts by kind, as the filters should find them. */
  counts: {
    total: number;
    verified: number;
    mismatch: number;
    experimental: number;
    upscaled: number;
    model15: number;
  };
  fourK: string;
  upscaled: string;
}

async function make(h: SimHarness, args: Record<string, unknown>): Promise<string> {
  const result = await h.call("generate_image", { return_image: "none", ...args });
  const path = (result.structuredContent as { images?: Array<{ path: string }> }).images?.[0]?.path;
  if (!path) throw new Error(`no image for ${JSON.stringify(args)}: ${JSON.stringify(result.content)}`);
  return path.slice(path.lastIndexOf("/") + 1);
}

export async function makeGalleryWorkspace(h: SimHarness): Promise<GalleryFixture> {
  const files: string[] = [];
  for (let i = 0; i < 18; i++) {
    files.push(await make(h, { prompt: `study ${i} of a harbour`, size: i % 2 ? "1536x1024" : "1024x1024" }));
  }
  for (let i = 0; i < 3; i++) files.push(await make(h, { prompt: `older model ${i}`, model: "gpt-image-1.5" }));
  files.push(await make(h, { prompt: HOSTILE_PROMPT, size: "1024x1024" }));
  const upscaled = await make(h, { prompt: "a 2K master, upscaled", size: "2560x1440" });
  files.push(upscaled);
  for (let i = 0; i < 4; i++) files.push(await make(h, { prompt: `a 4K poster ${i}`, size: "3840x2160" }));
  h.sim.setGateway({ downscaleAbove: 1024 });
  for (let i = 0; i < 3; i++) files.push(await make(h, { prompt: `a silent downscale ${i}`, size: "1536x1024" }));
  h.sim.setGateway({ downscaleAbove: 0 });
  // What upscale_image writes: a record that names the source the file was upscaled from (its upscale block).
  const manifest = join(h.workspace, "manifest.jsonl");
  const lines = readFileSync(manifest, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const upscale = {
    source_path: "<workspace>/master.png",
    source_sha256: "0".repeat(64),
    source_width: 1707,
    source_height: 960,
    method: "lanczos3",
    interpolation: "bicubic",
    factor: 1.5,
  };
  const marked = lines.map((l) => (l.file === upscaled ? { ...l, decision: "master+upscale", upscale } : l));
  writeFileSync(manifest, `${marked.map((l) => JSON.stringify(l)).join("\n")}\n`);
  return {
    files,
    counts: { total: 30, verified: 27, mismatch: 3, experimental: 4, upscaled: 1, model15: 3 },
    fourK: files[25] as string,
    upscaled,
  };
}
