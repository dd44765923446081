// The bounded preview an agent sees inline: long edge <= 1024 px and well under the clients' result limits.
// JPEG for opaque images, WebP when there is transparency to keep.

import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { mimeType } from "../contract/formats.js";
import { InternalError } from "../errors.js";
import { MAX_INPUT_PIXELS } from "./admit.js";
import { loadSharp } from "./sharp.js";

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

// Previews started early (by the generation job, right after the bytes are decoded) and picked up by the result.
const warm = new Map<string, Promise<InlineImage>>();
const WARM_LIMIT = 32;

function warmKey(path: string, hasAlpha: boolean, maxBase64: number, maxEdge: number): string {
  return JSON.stringify([path, hasAlpha, maxBase64, maxEdge]);
}

/** The size of a file as it will be shown: what a preview of it is sized from. */
export interface ShownSize {
  width: number;
  height: number;
}

/**
 * Starts encoding the default preview of a file being saved from bytes already in memory, so the decode overlaps
 * the write, the measurement and the records instead of following them. `shownAs`: the bytes are the same picture at
 * another size (an upscale's source: the saved file is never decoded again for its preview), and the preview is
 * sized as the saved file's would be. `source`: bytes, or a path the caller keeps readable until this settles.
 */
export function warmPreview(
  path: string,
  source: Buffer | string,
  hasAlpha: boolean,
  shownAs?: ShownSize,
): Promise<void> {
  const key = warmKey(path, hasAlpha, PREVIEW_MAX_BASE64, PREVIEW_MAX_EDGE);
  const known = warm.get(key);
  if (known) return known.then(settled, settled);
  const promise = encodePreview(source, hasAlpha, PREVIEW_MAX_BASE64, PREVIEW_MAX_EDGE, shownAs);
  promise.catch(() => warm.delete(key));
  warm.set(key, promise);
  if (warm.size > WARM_LIMIT) warm.delete(warm.keys().next().value as string);
  // Settles when the preview is made or has failed (a source read by path must stay open until then).
  return promise.then(settled, settled);
}

const settled = () => undefined;

/** The default preview started for a file being saved, taken out of the early cache (or null when none was). */
export function takeWarmedPreview(path: string, hasAlpha: boolean): Promise<InlineImage> | null {
  const key = warmKey(path, hasAlpha, PREVIEW_MAX_BASE64, PREVIEW_MAX_EDGE);
  const early = warm.get(key) ?? null;
  warm.delete(key);
  return early;
}

/**
 * A file pixelwright saved, read without following a link put in its place since: a workspace writer who swaps a
 * saved image for a symlink gets a refusal, never another file's bytes in a preview.
 */
async function readSaved(path: string): Promise<Buffer> {
  const handle = await open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** A preview of a file; from `bytes` when the caller already holds them (a file read once, by descriptor). */
export async function makePreview(
  path: string,
  hasAlpha: boolean,
  maxBase64 = PREVIEW_MAX_BASE64,
  maxEdge = PREVIEW_MAX_EDGE,
  bytes?: Buffer,
): Promise<InlineImage> {
  const key = warmKey(path, hasAlpha, maxBase64, maxEdge);
  const early = warm.get(key);
  if (early) {
    warm.delete(key);
    return early;
  }
  return encodePreview(bytes ?? (await readSaved(path)), hasAlpha, maxBase64, maxEdge);
}

/** The preview's own size: the shown size fitted inside maxEdge, never enlarged. */
function fitted(size: ShownSize, maxEdge: number): ShownSize {
  const scale = Math.min(1, maxEdge / Math.max(size.width, size.height));
  return { width: Math.max(1, Math.round(size.width * scale)), height: Math.max(1, Math.round(size.height * scale)) };
}

async function encodePreview(
  source: string | Buffer,
  hasAlpha: boolean,
  maxBase64: number,
  maxEdge: number,
  shownAs?: ShownSize,
): Promise<InlineImage> {
  const sharp = await loadSharp();
  const resize = shownAs
    ? { ...fitted(shownAs, maxEdge), fit: "fill" as const }
    : { width: maxEdge, height: maxEdge, fit: "inside" as const, withoutEnlargement: true };
  // Decode and shrink once (the expensive part for a 4K PNG); every retry at a lower quality or a smaller edge
  // starts from these pixels, never from the full-size file again.
  let { data: pixels, info } = await sharp(source, { sequentialRead: true, limitInputPixels: MAX_INPUT_PIXELS })
    .resize(resize)
    .raw()
    .toBuffer({ resolveWithObject: true });
  for (let attempt = 0; attempt < 4; attempt++) {
    for (const quality of [80, 65, 50, 40]) {
      const raw = { width: info.width, height: info.height, channels: info.channels };
      const pipeline = sharp(pixels, { raw });
      const encoded = hasAlpha ? pipeline.webp({ quality, alphaQuality: 80 }) : pipeline.jpeg({ quality });
      const base64 = (await encoded.toBuffer()).toString("base64");
      if (base64.length < maxBase64) {
        return {
          mimeType: hasAlpha ? "image/webp" : "image/jpeg",
          data: base64,
          width: info.width,
          height: info.height,
        };
      }
    }
    const smaller = await sharp(pixels, { raw: { width: info.width, height: info.height, channels: info.channels } })
      .resize({ width: Math.round(info.width * 0.75) })
      .raw()
      .toBuffer({ resolveWithObject: true });
    pixels = smaller.data;
    info = smaller.info;
  }
  throw new InternalError("could not encode a preview under the size budget");
}

/** The saved file itself, when it is small enough to inline; null when it is not. */
export async function inlineFull(
  path: string,
  format: string,
  width: number,
  height: number,
  held?: Buffer,
): Promise<InlineImage | null> {
  const bytes = held ?? (await readSaved(path));
  if (Math.ceil(bytes.length / 3) * 4 > FULL_MAX_BASE64) return null;
  return { mimeType: mimeType(format), data: bytes.toString("base64"), width, height };
}
