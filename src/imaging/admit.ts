// Before any decoder runs: what do these bytes look like, what size does their header declare, and is that within
// the pixel limit? Non-images and decompression bombs are refused here with a sentence that says all three, and
// every decode that follows is bounded by the same limit (sharp's limitInputPixels).

import { type SniffedFormat, sniffImage } from "../contract/formats.js";
import { NotAnImageError } from "../errors.js";

/** The largest image pixelwright decodes: 40 MP (e.g. 8000x5000), five times the largest output (3840x2160). */
export const MAX_INPUT_PIXELS = 40_000_000;
/** Enough of a file to find its dimensions (a JPEG's frame header may follow up to 64 KB of EXIF). */
export const HEADER_BYTES = 256 * 1024;

export interface DeclaredImage {
  format: SniffedFormat;
  width: number;
  height: number;
}

function pngSize(b: Buffer): [number, number] | null {
  if (b.length < 24 || b.toString("latin1", 12, 16) !== "IHDR") return null;
  return [b.readUInt32BE(16), b.readUInt32BE(20)];
}

function gifSize(b: Buffer): [number, number] | null {
  return b.length >= 10 ? [b.readUInt16LE(6), b.readUInt16LE(8)] : null;
}

function webpSize(b: Buffer): [number, number] | null {
  const chunk = b.toString("latin1", 12, 16);
  if (chunk === "VP8X" && b.length >= 30) return [b.readUIntLE(24, 3) + 1, b.readUIntLE(27, 3) + 1];
  if (chunk === "VP8L" && b.length >= 25 && b[20] === 0x2f) {
    const bits = b.readUInt32LE(21);
    return [(bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1];
  }
  if (chunk === "VP8 " && b.length >= 30 && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a) {
    return [b.readUInt16LE(26) & 0x3fff, b.readUInt16LE(28) & 0x3fff];
  }
  return null;
}

const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function jpegSize(b: Buffer): [number, number] | null {
  let at = 2;
  while (at + 9 < b.length) {
    if (b[at] !== 0xff) return null;
    const marker = b[at + 1] as number;
    if (marker === 0xff) {
      at++;
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at += 2;
      continue;
    }
    if (SOF.has(marker)) return [b.readUInt16BE(at + 7), b.readUInt16BE(at + 5)];
    at += 2 + b.readUInt16BE(at + 2);
  }
  return null;
}

/** The format and the size a file's header declares, or null when the header is not a readable image header. */
export function declaredSize(head: Buffer): DeclaredImage | null {
  const format = sniffImage(head);
  if (!format) return null;
  const dims =
    format === "png"
      ? pngSize(head)
      : format === "gif"
        ? gifSize(head)
        : format === "webp"
          ? webpSize(head)
          : jpegSize(head);
  if (!dims || dims[0] <= 0 || dims[1] <= 0) return null;
  return { format, width: dims[0], height: dims[1] };
}

/** Signatures of common files that are not images pixelwright reads: named, never quoted. */
const KNOWN: Array<[(b: Buffer) => boolean, string]> = [
  [(b) => b.toString("latin1", 0, 5) === "%PDF-", "a PDF document"],
  [(b) => b.toString("latin1", 0, 4) === "PK\x03\x04", "a ZIP archive (or a document packed as one)"],
  [(b) => b[0] === 0x1f && b[1] === 0x8b, "gzip-compressed data"],
  [(b) => b.toString("latin1", 0, 4) === "\x7fELF", "a program (ELF executable)"],
  [(b) => b.toString("latin1", 0, 2) === "BM", "a BMP image (convert it to PNG)"],
  [(b) => ["II*\0", "MM\0*"].includes(b.toString("latin1", 0, 4)), "a TIFF image (convert it to PNG)"],
  [
    (b) =>
      b.toString("latin1", 4, 8) === "ftyp" &&
      /^(hei[cx]|hev[cx]|mif1|msf1|avi[fs])$/.test(b.toString("latin1", 8, 12)),
    "a HEIF or AVIF image (convert it to PNG or JPEG)",
  ],
];

/**
 * What some bytes look like, without quoting any of them (a file named by mistake may hold secrets): empty, an image
 * signature with a broken header, a known kind of file, text, or binary data.
 */
export function describeBytes(head: Buffer): string {
  if (head.length === 0) return "the file is empty";
  const format = sniffImage(head);
  if (format) return `they start with a ${format.toUpperCase()} signature but the image header after it is not valid`;
  const known = KNOWN.find(([test]) => test(head));
  if (known) return `they look like ${known[1]}, not an image`;
  const sample = head.subarray(0, 512);
  let printable = 0;
  for (const byte of sample) if (byte === 9 || byte === 10 || byte === 13 || byte >= 32) printable++;
  if (printable / sample.length > 0.95) {
    return /<svg[\s>]/i.test(sample.toString("latin1"))
      ? "they look like an SVG drawing (text), not a raster image: export it as PNG"
      : "they look like text, not an image";
  }
  return "they look like binary data, not an image";
}

const count = (n: number) => n.toLocaleString("en-US");

/**
 * Admits bytes for decoding from their header alone: a PNG, JPEG, WebP or GIF header with dimensions within
 * MAX_INPUT_PIXELS. Otherwise a NotAnImageError that says what the bytes look like, the declared size, and the limit.
 */
export function admitImage(head: Buffer, what: string): DeclaredImage {
  const declared = declaredSize(head);
  if (!declared) {
    throw new NotAnImageError(`${what} is not a PNG, JPEG, WebP or GIF image: ${describeBytes(head)}.`, what);
  }
  const pixels = declared.width * declared.height;
  if (pixels > MAX_INPUT_PIXELS) {
    throw new NotAnImageError(
      `${what} is a ${declared.format.toUpperCase()} whose header declares ${declared.width}x${declared.height} (${count(pixels)} pixels), over the limit of ${count(MAX_INPUT_PIXELS)} pixels; it was not decoded.`,
      what,
    );
  }
  return declared;
}
