// Gallery thumbnails: WebP, long edge 320 px, each under 30 KB (the quality steps down until it fits).

import { InternalError } from "../errors.js";
import { MAX_INPUT_PIXELS } from "./admit.js";
import { loadSharp } from "./sharp.js";

export const THUMB_EDGE = 320;
export const THUMB_MAX_BYTES = 30 * 1024;

export async function makeThumbnail(source: string | Buffer): Promise<Buffer> {
  const sharp = await loadSharp();
  const { data, info } = await sharp(source, { sequentialRead: true, limitInputPixels: MAX_INPUT_PIXELS })
    .resize({ width: THUMB_EDGE, height: THUMB_EDGE, fit: "inside", withoutEnlargement: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  let edge = Math.max(info.width, info.height);
  let pixels = { data, info };
  for (;;) {
    for (const quality of [72, 55, 40, 25]) {
      const raw = { width: pixels.info.width, height: pixels.info.height, channels: pixels.info.channels };
      const out = await sharp(pixels.data, { raw }).webp({ quality, alphaQuality: 70 }).toBuffer();
      if (out.length < THUMB_MAX_BYTES) return out;
    }
    // Noise that will not compress: fewer pixels.
    edge = Math.round(edge * 0.75);
    if (edge < 16) throw new InternalError("could not make a thumbnail under the size budget");
    pixels = await sharp(pixels.data, {
      raw: { width: pixels.info.width, height: pixels.info.height, channels: pixels.info.channels },
    })
      .resize({ width: edge, height: edge, fit: "inside" })
      .raw()
      .toBuffer({ resolveWithObject: true });
  }
}
