// sharp is heavy (native libvips): load it on first use so `initialize` answers fast.

import type { default as Sharp } from "sharp";

let loaded: Promise<typeof Sharp> | undefined;

export function loadSharp(): Promise<typeof Sharp> {
  loaded ??= import("sharp").then((m) => {
    // One libvips thread pool per process is plenty on small machines and keeps peak memory down.
    m.default.concurrency(Math.max(1, Math.min(4, m.default.concurrency())));
    // Every image is decoded once and never again: libvips' operation cache would only hold 4K pixels in memory.
    m.default.cache(false);
    return m.default;
  });
  return loaded;
}

/** sharp's own version and its libvips', loading it if needed (for `pixelwright doctor`); throws when it cannot load. */
export async function sharpVersions(): Promise<{ sharp: string; libvips: string }> {
  const sharp = await loadSharp();
  return { sharp: sharp.versions.sharp, libvips: sharp.versions.vips };
}
