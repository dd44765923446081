// Measure an image from the bytes on disk: the saved file, not what the upstream claimed, is the proof.

import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import type { MeasuredFile } from "../contract/schemas.js";
import { NotAnImageError } from "../errors.js";
import { admitImage, HEADER_BYTES, MAX_INPUT_PIXELS } from "./admit.js";
import { loadSharp } from "./sharp.js";

export type Measurement = MeasuredFile;

/**
 * Whether the image carries transparency. libvips reads every GIF with an alpha channel, so a GIF's is looked at:
 * only a GIF with a transparent pixel (in its first frame) has alpha.
 */
async function alphaOf(
  input: string | Buffer,
  meta: { format?: string | undefined; hasAlpha?: boolean | undefined },
): Promise<boolean> {
  if (meta.format !== "gif" || !meta.hasAlpha) return Boolean(meta.hasAlpha);
  const sharp = await loadSharp();
  return !(await sharp(input, { limitInputPixels: MAX_INPUT_PIXELS }).stats()).isOpaque;
}

/** An animation's frames (a GIF, even of one frame; any file of several pages); nothing for a still. */
function framesOf(meta: { format?: string | undefined; pages?: number | undefined }): { frames?: number } {
  const pages = meta.pages ?? 1;
  return meta.format === "gif" || pages > 1 ? { frames: pages } : {};
}

/**
 * Measures image bytes: admitted from the header first (a non-image or a bomb never reaches the decoder), then the
 * header is read by sharp under the same pixel limit. `what` names the bytes in messages ("path 'x.png'").
 */
export async function measureBuffer(buffer: Buffer, what = "the image"): Promise<Measurement> {
  const sha256 = createHash("sha256").update(buffer).digest("hex");
  return measureSource(buffer, buffer.subarray(0, HEADER_BYTES), { bytes: buffer.length, sha256 }, what);
}

/**
 * Measures an image read by path (an open descriptor's path: libvips reads its header), admitted from `head` first;
 * its size and hash are the caller's, read from the same descriptor.
 */
export function measureFile(
  path: string,
  head: Buffer,
  read: { bytes: number; sha256: string },
  what = "the image",
): Promise<Measurement> {
  return measureSource(path, head, read, what);
}

async function measureSource(
  input: string | Buffer,
  head: Buffer,
  read: { bytes: number; sha256: string },
  what: string,
): Promise<Measurement> {
  const declared = admitImage(head, what);
  const sharp = await loadSharp();
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>["metadata"]>>;
  try {
    meta = await sharp(input, { limitInputPixels: MAX_INPUT_PIXELS }).metadata();
  } catch (err) {
    throw new NotAnImageError(
      `${what} has a ${declared.format.toUpperCase()} header (${declared.width}x${declared.height}) but cannot be decoded (${(err as Error).message}).`,
      what,
      { cause: err },
    );
  }
  if (!meta.width || !meta.height) throw new NotAnImageError(`${what} has no dimensions.`, what);
  return {
    width: meta.width,
    height: meta.height,
    format: meta.format ?? declared.format,
    bytes: read.bytes,
    sha256: read.sha256,
    has_alpha: await alphaOf(input, meta),
    ...framesOf(meta),
  };
}

/**
 * Measures a file just written from `written`: the hash is of those bytes (computed by the caller while the write
 * was in flight), and the dimensions, format, alpha and size are read back from the saved file itself.
 */
export async function measureSaved(path: string, written: Buffer, sha256: string): Promise<Measurement> {
  const sharp = await loadSharp();
  const [meta, info] = await Promise.all([sharp(path, { limitInputPixels: MAX_INPUT_PIXELS }).metadata(), stat(path)]);
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
    has_alpha: await alphaOf(path, meta),
    ...framesOf(meta),
  };
}

/** The first line of a decoder's complaint, short enough for a sentence ("vipspng: libpng read error"). */
function decoderSays(err: unknown): string {
  const line = (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
  return line.replace(/^Input (buffer|file) has corrupt header: /, "").slice(0, 160);
}

/** A decode that failed on pixels its header promised: the file is cut short or damaged, and the caller can fix it. */
export function undecodable(err: unknown, what: string): NotAnImageError {
  return new NotAnImageError(
    `${what} cannot be decoded: it is truncated or corrupt (${decoderSays(err)}). Nothing was sent; save or export the image again and use the new file.`,
    what,
    { cause: err },
  );
}

/**
 * Decodes every pixel of admitted bytes (into a thumbnail-sized output, in one sequential pass) to know the file is
 * whole before it is sent or worked on: a header alone does not say the pixels after it are all there.
 */
export async function decodeWhole(bytes: Buffer, what: string): Promise<void> {
  const sharp = await loadSharp();
  try {
    await sharp(bytes, { sequentialRead: true, limitInputPixels: MAX_INPUT_PIXELS })
      .resize(64, 64, { fit: "inside" })
      .raw()
      .toBuffer();
  } catch (err) {
    throw undecodable(err, what);
  }
}

export function sha256Of(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}
