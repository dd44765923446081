// Measure an image from the bytes on disk: the saved file, not what the upstream claimed, is the proof.

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { sniffImage } from "../contract/formats.js";
import type { MeasuredFile } from "../contract/schemas.js";
import { NotAnImageError } from "../errors.js";
import { loadSharp } from "./sharp.js";

export type Measurement = MeasuredFile;

export async function measureBuffer(buffer: Buffer): Promise<Measurement> {
  const sniffed = sniffImage(buffer);
  if (!sniffed) throw new NotAnImageError("the bytes are not a PNG, JPEG, WebP or GIF image");
  const sharp = await loadSharp();
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>["metadata"]>>;
  try {
    meta = await sharp(buffer).metadata();
  } catch (err) {
    throw new NotAnImageError(`the ${sniffed.toUpperCase()} data cannot be decoded (${(err as Error).message})`);
  }
  if (!meta.width || !meta.height) throw new NotAnImageError("the image has no dimensions");
  return {
    width: meta.width,
    height: meta.height,
    format: meta.format ?? sniffed,
    bytes: buffer.length,
    sha256: createHash("sha256").update(buffer).digest("hex"),
    has_alpha: Boolean(meta.hasAlpha),
  };
}

/**
 * Measures a file just written from `written`: the hash is of those bytes (computed by the caller while the write
 * was in flight), and the dimensions, format, alpha and size are read back from the saved file itself.
 */
export async function measureSaved(path: string, written: Buffer, sha256: string): Promise<Measurement> {
  const sharp = await loadSharp();
  const [meta, info] = await Promise.all([sharp(path).metadata(), stat(path)]);
  if (info.size !== written.length) {
    throw new NotAnImageError(`the saved file has ${info.size} bytes but ${written.length} were written`);
  }
  if (!meta.width || !meta.height) throw new NotAnImageError("the saved image has no dimensions");
  return {
    width: meta.width,
    height: meta.height,
    format: meta.format ?? "unknown",
    bytes: info.size,
    sha256,
    has_alpha: Boolean(meta.hasAlpha),
  };
}

export function sha256Of(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Streams the file for its hash (never holding a 25 MB image twice) while sharp reads its header. */
export async function measureFile(path: string): Promise<Measurement> {
  const sharp = await loadSharp();
  const hash = createHash("sha256");
  const head: Buffer[] = [];
  let headBytes = 0;
  const hashed = new Promise<void>((resolve, reject) => {
    createReadStream(path, { highWaterMark: 1 << 20 })
      .on("data", (chunk) => {
        const bytes = chunk as Buffer;
        if (headBytes < 16) {
          head.push(bytes.subarray(0, 16));
          headBytes += bytes.length;
        }
        hash.update(bytes);
      })
      .on("end", () => resolve())
      .on("error", reject);
  });
  const [meta, info] = await Promise.all([
    sharp(path)
      .metadata()
      .catch((err: Error) => {
        throw new NotAnImageError(`the file cannot be decoded (${err.message})`);
      }),
    stat(path),
    hashed,
  ]);
  const sniffed = sniffImage(Buffer.concat(head));
  if (!sniffed) throw new NotAnImageError("the file is not a PNG, JPEG, WebP or GIF image");
  if (!meta.width || !meta.height) throw new NotAnImageError("the image has no dimensions");
  return {
    width: meta.width,
    height: meta.height,
    format: meta.format ?? sniffed,
    bytes: info.size,
    sha256: hash.digest("hex"),
    has_alpha: Boolean(meta.hasAlpha),
  };
}
