// The bounded preview an agent sees inline: long edge <= 1024 px and well under the clients' result limits.
// JPEG for opaque images, WebP when there is transparency to keep.

import { readFile } from "node:fs/promises";
import { loadSharp } from "./sharp.js";
import { mimeType } from "./sniff.js";

export const PREVIEW_MAX_EDGE = 1024;
export const PREVIEW_MAX_BASE64 = 300_000;
/** A full image is inlined only under this many base64 characters: below Claude Desktop's 1 MiB result cap. */
export const FULL_MAX_BASE64 = 1_000_000;

export interface InlineImage {
  mimeType: string;
  data: string;
  width: number;
  height: number;
}

export async function makePreview(
  path: string,
  hasAlpha: boolean,
  maxBase64 = PREVIEW_MAX_BASE64,
  maxEdge = PREVIEW_MAX_EDGE,
): Promise<InlineImage> {
  const sharp = await loadSharp();
  let edge = maxEdge;
  for (const quality of [80, 65, 50, 40, 30]) {
    const pipeline = sharp(path, { sequentialRead: true }).resize({
      width: edge,
      height: edge,
      fit: "inside",
      withoutEnlargement: true,
    });
    const encoded = hasAlpha
      ? pipeline.webp({ quality, alphaQuality: 80 })
      : pipeline.jpeg({ quality, mozjpeg: false });
    const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
    const base64 = data.toString("base64");
    if (base64.length < maxBase64) {
      return { mimeType: hasAlpha ? "image/webp" : "image/jpeg", data: base64, width: info.width, height: info.height };
    }
    edge = Math.round(edge * 0.8);
  }
  throw new Error("could not encode a preview under the size budget");
}

/** The saved file itself, when it is small enough to inline; null when it is not. */
export async function inlineFull(
  path: string,
  format: string,
  width: number,
  height: number,
): Promise<InlineImage | null> {
  const bytes = await readFile(path);
  if (Math.ceil(bytes.length / 3) * 4 > FULL_MAX_BASE64) return null;
  return { mimeType: mimeType(format), data: bytes.toString("base64"), width, height };
}
