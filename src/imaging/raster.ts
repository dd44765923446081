// Pixel dimensions and channels of an image in memory or on disk, without decoding its pixels.

import { MAX_INPUT_PIXELS } from "./admit.js";
import { loadSharp } from "./sharp.js";

/** Pixel dimensions and channel count of a raster, for checking a mask against its image. */
/** Whether an image is opaque, fully transparent, or partly transparent (decodes it: for guide images). */
export async function transparencyOf(input: Buffer): Promise<"opaque" | "clear" | "partly"> {
  const sharp = await loadSharp();
  const { isOpaque, channels } = await sharp(input, { limitInputPixels: MAX_INPUT_PIXELS }).stats();
  if (isOpaque) return "opaque";
  // Not opaque means there is an alpha channel, the last one: nothing drawn when even its largest value is 0.
  return channels.at(-1)?.max === 0 ? "clear" : "partly";
}

export async function rasterInfo(
  input: Buffer | string,
): Promise<{ width: number; height: number; format: string; hasAlpha: boolean }> {
  const sharp = await loadSharp();
  const meta = await sharp(input, { limitInputPixels: MAX_INPUT_PIXELS }).metadata();
  return {
    width: meta.width ?? 0,
    height: meta.height ?? 0,
    format: meta.format ?? "",
    hasAlpha: Boolean(meta.hasAlpha),
  };
}
