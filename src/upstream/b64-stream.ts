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

/** Feeds a JSON text in pieces; each "b64_json" value is decoded as it passes and replaced by "@image:<n>". */
export class B64JsonExtractor {
  private readonly kept: Buffer[] = [];
  private readonly images: (Buffer | null)[] = [];
  private carry: Buffer = Buffer.alloc(0);
  private sink: Base64Sink | null = null;

  push(piece: Uint8Array): void {
    let buffer: Buffer = this.carry.length > 0 ? Buffer.concat([this.carry, Buffer.from(piece)]) : Buffer.from(piece);
    this.carry = Buffer.alloc(0);
    while (buffer.length > 0) {
      if (this.sink) {
        const end = buffer.indexOf(QUOTE);
        if (end === -1) {
          // "\/" is two bytes: never split it between pieces.
          const safe = buffer[buffer.length - 1] === BACKSLASH ? buffer.length - 1 : buffer.length;
          this.sink.write(buffer.subarray(0, safe));
          this.carry = Buffer.from(buffer.subarray(safe));
          return;
        }
        this.sink.write(buffer.subarray(0, end));
        this.images.push(this.sink.end());
        this.sink = null;
        this.kept.push(Buffer.from(`@image:${this.images.length - 1}"`));
        buffer = buffer.subarray(end + 1);
        continue;
      }
      const at = buffer.indexOf(KEY);
      if (at === -1) {
        const keep = Math.min(CARRY, buffer.length);
        this.kept.push(Buffer.from(buffer.subarray(0, buffer.length - keep)));
        this.carry = Buffer.from(buffer.subarray(buffer.length - keep));
        return;
      }
      const start = valueStart(buffer, at + KEY.length);
      if (start === -1) {
        this.kept.push(Buffer.from(buffer.subarray(0, at)));
        this.carry = Buffer.from(buffer.subarray(at));
        return;
      }
      if (start === -2) {
        this.kept.push(Buffer.from(buffer.subarray(0, at + KEY.length)));
        buffer = buffer.subarray(at + KEY.length);
        continue;
      }
      this.kept.push(Buffer.from(buffer.subarray(0, start)));
      this.sink = new Base64Sink();
      buffer = buffer.subarray(start);
    }
  }

  end(): StreamedImages {
    if (this.sink) throw new Error("the answer ended inside an image (truncated body)");
    this.kept.push(this.carry);
    const text = Buffer.concat(this.kept).toString("utf8");
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error("the answer is not valid JSON (truncated or malformed body)");
    }
    if (typeof json !== "object" || json === null) throw new Error("the answer is not a JSON object");
    return { json: json as Record<string, unknown>, images: this.images };
  }
}

export async function readImagesJson(body: AsyncIterable<Uint8Array>): Promise<StreamedImages> {
  const extractor = new B64JsonExtractor();
  for await (const piece of body) extractor.push(piece);
  return extractor.end();
}

export interface SseEvent extends StreamedImages {
  event: string | null;
}

/**
 * Server-sent events whose data is JSON with b64_json values (the Images API stream): each event's data is fed to
 * its own extractor as it arrives, so a streamed 4K image, partial or final, is never held as text.
 */
export async function* readImagesSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  let extractor: B64JsonExtractor | null = null;
  let event: string | null = null;
  // Where we are in the current line: its start, its field name, a small field's value, or a data value.
  let state: "start" | "name" | "value" | "data" = "start";
  let name = "";
  let value = "";
  let skipSpace = false;
  for await (const piece of body) {
    let buffer = Buffer.from(piece);
    while (buffer.length > 0) {
      if (skipSpace) {
        skipSpace = false;
        if (buffer[0] === 0x20) buffer = buffer.subarray(1);
        continue;
      }
      if (state === "start") {
        if (buffer[0] === 0x0d) {
          buffer = buffer.subarray(1);
          continue;
        }
        if (buffer[0] === 0x0a) {
          // A blank line ends the event.
          buffer = buffer.subarray(1);
          if (extractor) yield { event, ...extractor.end() };
          extractor = null;
          event = null;
          continue;
        }
        state = "name";
        name = "";
        continue;
      }
      const nl = buffer.indexOf(0x0a);
      if (state === "data") {
        extractor?.push(nl === -1 ? buffer : buffer.subarray(0, nl));
        if (nl === -1) break;
        state = "start";
        buffer = buffer.subarray(nl + 1);
        continue;
      }
      if (state === "name") {
        const colon = buffer.indexOf(0x3a);
        if (colon !== -1 && (nl === -1 || colon < nl)) {
          name += buffer.subarray(0, colon).toString("utf8");
          buffer = buffer.subarray(colon + 1);
          skipSpace = true;
          if (name === "data") {
            // Several data lines in one event are joined with a newline (JSON whitespace here).
            if (extractor) extractor.push(Buffer.from("\n"));
            extractor ??= new B64JsonExtractor();
            state = "data";
          } else {
            state = "value";
            value = "";
          }
          continue;
        }
        name += buffer.subarray(0, nl === -1 ? buffer.length : nl).toString("utf8");
        if (nl === -1) break;
        state = "start";
        buffer = buffer.subarray(nl + 1);
        continue;
      }
      // A small field (event:, id:, retry:, or a comment) is collected whole.
      value += buffer.subarray(0, nl === -1 ? buffer.length : nl).toString("utf8");
      if (nl === -1) break;
      if (name === "event") event = value.replace(/\r$/, "");
      state = "start";
      buffer = buffer.subarray(nl + 1);
    }
  }
  if (extractor) yield { event, ...extractor.end() };
}
