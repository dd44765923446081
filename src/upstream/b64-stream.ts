// Read an Images API JSON answer from the byte stream, decoding every "b64_json" value straight into bytes as it
// arrives. The SDK's own parsing holds a 4K image three times as text (the body, the parsed string, then our
// decode): ~100 MB per image. Here each image exists once, as bytes, and only the small rest of the JSON is parsed.

const KEY = Buffer.from('"b64_json"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** Bytes kept back at a chunk's end in case the key straddles two chunks. */
const CARRY = KEY.length + 8;

export interface StreamedImages {
  /** The JSON answer with each b64_json value replaced by "@image:<n>". */
  json: Record<string, unknown>;
  /** The decoded images, or null where the value was not valid base64. */
  images: (Buffer | null)[];
}

export const IMAGE_PLACEHOLDER = /^@image:(\d+)$/;

class Base64Sink {
  private pending = "";
  private readonly parts: Buffer[] = [];
  private valid = true;

  write(chunk: Buffer): void {
    if (!this.valid) return;
    // Escaped slashes ("\/") are legal JSON inside a string; anything else escaped cannot be base64.
    let text = chunk.toString("latin1");
    if (text.includes("\\")) text = text.replace(/\\\//g, "/");
    const all = this.pending + text;
    const usable = all.length - (all.length % 4);
    this.pending = all.slice(usable);
    if (usable > 0) this.push(all.slice(0, usable));
  }

  end(): Buffer | null {
    if (this.pending.length > 0) this.push(this.pending);
    this.pending = "";
    return this.valid && this.parts.length > 0 ? Buffer.concat(this.parts) : null;
  }

  private push(text: string): void {
    const bytes = Buffer.from(text, "base64");
    // Node skips characters outside the alphabet: a short decode means the text was not base64.
    const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
    if (text.length % 4 !== 0 || bytes.length !== (text.length / 4) * 3 - padding || text.slice(0, -2).includes("=")) {
      this.valid = false;
      this.parts.length = 0;
      return;
    }
    this.parts.push(bytes);
  }
}

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** Where the string value after a `"b64_json"` key starts (just past its quote); -1 if not yet known, -2 if none. */
function valueStart(buffer: Buffer, afterKey: number): number {
  let i = afterKey;
  while (i < buffer.length && isSpace(buffer[i])) i++;
  if (i >= buffer.length) return -1;
  if (buffer[i] !== 0x3a) return -2;
  i++;
  while (i < buffer.length && isSpace(buffer[i])) i++;
  if (i >= buffer.length) return -1;
  return buffer[i] === QUOTE ? i + 1 : -2;
}

export async function readImagesJson(body: AsyncIterable<Uint8Array>): Promise<StreamedImages> {
  const kept: Buffer[] = [];
  const images: (Buffer | null)[] = [];
  let carry: Buffer = Buffer.alloc(0);
  let sink: Base64Sink | null = null;

  for await (const piece of body) {
    let buffer: Buffer = carry.length > 0 ? Buffer.concat([carry, Buffer.from(piece)]) : Buffer.from(piece);
    carry = Buffer.alloc(0);
    while (buffer.length > 0) {
      if (sink) {
        const end = buffer.indexOf(QUOTE);
        if (end === -1) {
          // A value never ends in a backslash mid-escape for base64 ("\/" is two bytes): keep one back just in case.
          const safe = buffer[buffer.length - 1] === BACKSLASH ? buffer.length - 1 : buffer.length;
          sink.write(buffer.subarray(0, safe));
          carry = Buffer.from(buffer.subarray(safe));
          buffer = Buffer.alloc(0);
          break;
        }
        sink.write(buffer.subarray(0, end));
        images.push(sink.end());
        sink = null;
        kept.push(Buffer.from(`@image:${images.length - 1}"`));
        buffer = buffer.subarray(end + 1);
        continue;
      }
      const at = buffer.indexOf(KEY);
      if (at === -1) {
        const keep = Math.min(CARRY, buffer.length);
        kept.push(Buffer.from(buffer.subarray(0, buffer.length - keep)));
        carry = Buffer.from(buffer.subarray(buffer.length - keep));
        buffer = Buffer.alloc(0);
        break;
      }
      const start = valueStart(buffer, at + KEY.length);
      if (start === -1) {
        kept.push(Buffer.from(buffer.subarray(0, at)));
        carry = Buffer.from(buffer.subarray(at));
        buffer = Buffer.alloc(0);
        break;
      }
      if (start === -2) {
        kept.push(Buffer.from(buffer.subarray(0, at + KEY.length)));
        buffer = buffer.subarray(at + KEY.length);
        continue;
      }
      kept.push(Buffer.from(buffer.subarray(0, start)));
      sink = new Base64Sink();
      buffer = buffer.subarray(start);
    }
  }
  if (sink) throw new Error("the answer ended inside an image (truncated body)");
  kept.push(carry);
  const text = Buffer.concat(kept).toString("utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error("the answer is not valid JSON (truncated or malformed body)");
  }
  if (typeof json !== "object" || json === null) throw new Error("the answer is not a JSON object");
  return { json: json as Record<string, unknown>, images };
}
