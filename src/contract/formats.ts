// Image formats in one place: recognise an image by its magic bytes (before trusting anything an upstream says
// about it), its MIME type and file extension, and strict base64. Pure.

export type SniffedFormat = "png" | "jpeg" | "webp" | "gif";

export function sniffImage(bytes: Uint8Array): SniffedFormat | null {
  const b = bytes;
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[4] === 0x0d) return "png";
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "jpeg";
  if (
    b.length >= 12 &&
    b[0] === 0x52 &&
    b[1] === 0x49 &&
    b[2] === 0x46 &&
    b[3] === 0x46 &&
    b[8] === 0x57 &&
    b[9] === 0x45 &&
    b[10] === 0x42 &&
    b[11] === 0x50
  ) {
    return "webp";
  }
  if (b.length >= 6 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) return "gif";
  return null;
}

const MIME: Record<SniffedFormat, string> = {
  png: "image/png",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
};

/** "jpg" and "JPEG" are "jpeg": the one spelling used in results and comparisons. */
export function normalizeFormat(format: string): string {
  const f = format.toLowerCase();
  return f === "jpg" ? "jpeg" : f;
}

export function mimeType(format: string): string {
  return MIME[normalizeFormat(format) as SniffedFormat] ?? "application/octet-stream";
}

/** The file extension a saved image of this format gets. */
export function extensionFor(format: string): string {
  const f = normalizeFormat(format);
  return f === "jpeg" ? "jpg" : f;
}

/** The format a file name's extension names, or null when it is not an image name. */
export function formatOfName(name: string): SniffedFormat | null {
  const ext = name.slice(name.lastIndexOf(".") + 1);
  const f = normalizeFormat(ext);
  return f in MIME ? (f as SniffedFormat) : null;
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function expectedLength(text: string): number {
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  return Math.floor((text.length * 3) / 4) - padding;
}

/**
 * Strict base64 decoding: Node's decoder silently skips garbage, which would hide a corrupted payload. Node skips
 * every character outside the alphabet, so a decoded length short of what the text length promises means garbage:
 * one pass over a 34 MB answer instead of a regular expression over it (which costs ~150 ms).
 */
export function decodeBase64Strict(text: string): Buffer | null {
  if (text.length === 0) return null;
  if (text.length % 4 === 0) {
    const bytes = Buffer.from(text, "base64");
    if (bytes.length === expectedLength(text)) return bytes;
  }
  // Wrapped lines (some gateways), no padding (allowed by the format), or garbage: the slow, exact check decides.
  let clean = text.replace(/\s+/g, "");
  if (clean.length % 4 === 1) return null;
  if (clean.length % 4 !== 0 && !clean.includes("=")) clean += "=".repeat(4 - (clean.length % 4));
  if (clean.length === 0 || clean.length % 4 !== 0 || !BASE64.test(clean)) return null;
  return Buffer.from(clean, "base64");
}
