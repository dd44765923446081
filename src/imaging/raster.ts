// Pixel dimensions and channels of an image in memory or on disk, without decoding its pixels.

import { MAX_INPUT_PIXELS } from "./admit.js";
import { loadSharp } from "./sharp.js";

/** Pixel dimensions and channel count of a raster, for checking a mask against its image. */
/** Whether an image has any pixel that is not fully opaque (decodes it: for small guide images). */
export async function hasTransparentPixels(input: Buffer): Promise<boolean> {
  const sharp = await loadSharp();
  const { isOpaque } = await sharp(input, { limitInputPixels: MAX_INPUT_PIXELS }).stats();
  return !isOpaque;
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
