// Enlarge an image to an exact size with sharp, keeping its format and its alpha. The file is read sequentially
// (libvips streams the rows through the resize kernel), and only the encoded result is held in memory.

import type { UpscaleMethod } from "../contract/upscale.js";
import { NotAnImageError } from "../errors.js";
import { MAX_INPUT_PIXELS } from "./admit.js";
import { undecodable } from "./inspect.js";
import { loadSharp } from "./sharp.js";

export interface Upscaled {
  bytes: Buffer;
  format: "png" | "jpeg" | "webp";
  width: number;
  height: number;
  hasAlpha: boolean;
}

/** Encoder settings per format: PNG as sharp's default, lossy formats at a quality that keeps the new detail. */
const QUALITY = 92;

/**
 * `what` names the input in messages ("path 'x.png'"). Every pixel is decoded on the way (once): pixels that cannot
 * be (a truncated file) are an input error that says so, and nothing has been made.
 */
export async function upscaleImage(
  input: string | Buffer,
  target: { width: number; height: number },
  method: UpscaleMethod = "lanczos3",
  what = "the image",
): Promise<Upscaled> {
  const sharp = await loadSharp();
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>["metadata"]>>;
  try {
    meta = await sharp(input, { limitInputPixels: MAX_INPUT_PIXELS }).metadata();
  } catch (err) {
    throw new NotAnImageError(`the file cannot be decoded as an image (${(err as Error).message})`, undefined, {
      cause: err,
    });
  }
  const format = meta.format === "jpeg" || meta.format === "webp" ? meta.format : meta.format === "png" ? "png" : null;
  if (!format) {
    throw new NotAnImageError(
      `upscale_image reads PNG, JPEG and WebP files; this one is ${meta.format ?? "of an unknown format"}.`,
    );
  }
  const pipeline = sharp(input, { sequentialRead: true, limitInputPixels: MAX_INPUT_PIXELS }).resize({
    width: target.width,
    height: target.height,
    fit: "fill",
    kernel: method,
  });
  const encoded =
    format === "png"
      ? pipeline.png()
      : format === "jpeg"
        ? pipeline.jpeg({ quality: QUALITY, chromaSubsampling: "4:4:4" })
        : pipeline.webp({ quality: QUALITY, alphaQuality: 100 });
  const { data, info } = await encoded.toBuffer({ resolveWithObject: true }).catch((err: unknown) => {
    throw undecodable(err, what);
  });
  return {
    bytes: data,
    format,
    width: info.width,
    height: info.height,
    hasAlpha: info.channels === 4 || info.channels === 2,
  };
}
