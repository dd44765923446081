// Read an Images API JSON answer from the byte stream, decoding every "b64_json" value straight into bytes as it
// arrives. The SDK's own parsing holds a 4K image three times as text (the body, the parsed string, then our
// decode): ~100 MB per image. Here each image exists once, as bytes, and only the small rest of the JSON is parsed.
//
// Tolerant as the formats are: a value may escape any character (`\u002B`, `\/`), base64 may come with or without
// padding and wrapped in whitespace; only what no reading of the formats can turn into bytes is refused.

import { cutOff } from "./errors.js";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** The keys whose string values are base64 images: the Images API's; the Responses API names its own. */
export const IMAGES_API_KEYS: readonly string[] = ["b64_json"];
/** A Responses answer: an image_generation_call's `result`, a streamed partial's `partial_image_b64`. */
export const RESPONSES_API_KEYS: readonly string[] = ["result", "partial_image_b64"];

export interface StreamedImages {
  /** The JSON answer with each b64_json value replaced by "@image:<n>". */
  json: Record<string, unknown>;
  /** The decoded images, or null where the value was not valid base64. */
  images: (Buffer | null)[];
  /** Set when the JSON around the images did not parse but images were decoded: they are kept, this says why. */
  problem?: string;
}

export const IMAGE_PLACEHOLDER = /^@image:(\d+)$/;

const WHITESPACE = /[\s]/g;
const HAS_WHITESPACE = /[\s]/;

/** Output is decoded into blocks of this size when the answer's length is not known (or was too small a guess). */
const BLOCK_BYTES = 4 * 1024 * 1024;
/** A block this much larger than the image it holds is copied to its exact size, so the slack is not kept with it. */
const SLACK_BYTES = 1024 * 1024;

/**
 * Collects base64 text in groups of four and decodes it as it goes, straight into an output block (no piece of the
 * image is allocated twice); padding optional, whitespace ignored. `expectedBytes`: at most how many bytes the value
 * decodes to (from the answer's length), so a 4K image is one allocation and never concatenated.
 */
export class Base64Sink {
  private pending = "";
  private readonly parts: Buffer[] = [];
  private block: Buffer | null = null;
  private used = 0;
  private valid = true;
  private padded = false;

  constructor(private readonly expectedBytes = 0) {}

  write(text: string): void {
    if (!this.valid || text.length === 0) return;
    const clean = HAS_WHITESPACE.test(text) ? text.replace(WHITESPACE, "") : text;
    this.writeClean(clean);
  }

  /**
   * Base64 text known to hold no whitespace (a raw run of a JSON string, checked on its bytes): decoded without the
   * scan for whitespace.
   */
  writeClean(clean: string): void {
    if (!this.valid || clean.length === 0) return;
    if (this.padded) {
      this.valid = false;
      return;
    }
    let text = clean;
    if (this.pending.length > 0) {
      // Only the quad the last piece left open is joined: `pending + clean` would copy the whole piece (a 64 KB
      // string per network read) whenever the image does not start on a multiple of four bytes of the answer.
      const need = 4 - this.pending.length;
      if (text.length < need) {
        this.pending += text;
        return;
      }
      const quad = this.pending + text.slice(0, need);
      this.pending = "";
      this.push(quad);
      text = text.slice(need);
    }
    const usable = text.length - (text.length % 4);
    this.pending = usable === text.length ? "" : text.slice(usable);
    if (usable > 0) this.push(usable === text.length ? text : text.slice(0, usable));
  }

  /** Marks the value invalid (an escape no base64 text can contain). */
  invalidate(): void {
    this.valid = false;
  }

  end(): Buffer | null {
    if (this.valid && this.pending.length > 0) {
      // Unpadded: 2 or 3 characters make 1 or 2 bytes; 1 character is never valid.
      if (this.pending.length === 1 || this.pending.includes("=")) this.valid = false;
      else this.push(this.pending + "=".repeat(4 - this.pending.length));
    }
    this.pending = "";
    if (!this.valid) return null;
    if (this.block && this.used > 0) this.parts.push(this.block.subarray(0, this.used));
    this.block = null;
    if (this.parts.length === 0) return null;
    if (this.parts.length > 1) return Buffer.concat(this.parts);
    const only = this.parts[0] as Buffer;
    return only.buffer.byteLength - only.length > Math.max(SLACK_BYTES, only.length / 8) ? Buffer.from(only) : only;
  }

  /** Room for `bytes` more decoded bytes: the current block, or a new one (the answer's length, else a block). */
  private room(bytes: number): Buffer {
    if (this.block && this.block.length - this.used >= bytes) return this.block;
    if (this.block && this.used > 0) this.parts.push(this.block.subarray(0, this.used));
    const first = this.parts.length === 0 && this.expectedBytes >= bytes ? this.expectedBytes : 0;
    this.block = Buffer.allocUnsafeSlow(Math.max(first || BLOCK_BYTES, bytes));
    this.used = 0;
    return this.block;
  }

  private push(text: string): void {
    if (this.padded) {
      this.valid = false;
      return;
    }
    // Node skips characters outside the alphabet: a short decode means the text was not base64.
    const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
    const expected = (text.length / 4) * 3 - padding;
    const block = this.room(expected);
    const written = block.write(text, this.used, expected, "base64");
    if (written !== expected || text.slice(0, -2).includes("=")) {
      this.valid = false;
      this.parts.length = 0;
      this.block = null;
      return;
    }
    this.used += written;
    if (padding > 0) this.padded = true;
  }
}

/** What a JSON escape inside a base64 value stands for: a character to keep, "" to skip, or null when invalid. */
function unescaped(code: number): string | null {
  const char = String.fromCharCode(code);
  if (/[A-Za-z0-9+/=_-]/.test(char)) return char;
  return /\s/.test(char) ? "" : null;
}

/** JSON's one-letter escapes a base64 value may hold: \/ is a character, \n \r \t \f whitespace, \b neither. */
const SHORT_ESCAPES: Record<string, number> = { "/": 0x2f, n: 0x0a, r: 0x0d, t: 0x09, f: 0x0c, b: 0x08 };

/** The inside of one JSON string value holding base64: raw runs go to the sink, escapes are resolved one by one. */
class Base64Value {
  readonly sink: Base64Sink;
  /** null outside an escape; "" right after the backslash; "u" plus the hex digits seen so far. */
  private pendingEscape: string | null = null;

  constructor(expectedBytes: number) {
    this.sink = new Base64Sink(expectedBytes);
  }

  /** Consumes bytes from `at`; returns the index of the closing quote, or -1 when the value goes on. */
  consume(buffer: Buffer, at: number): number {
    let i = at;
    let quote = buffer.indexOf(QUOTE, i);
    let slash = buffer.indexOf(BACKSLASH, i);
    while (i < buffer.length) {
      if (this.pendingEscape !== null) {
        i = this.escapeByte(buffer[i] as number, i);
        if (quote !== -1 && quote < i) quote = buffer.indexOf(QUOTE, i);
        if (slash !== -1 && slash < i) slash = buffer.indexOf(BACKSLASH, i);
        continue;
      }
      const stop = Math.min(quote === -1 ? buffer.length : quote, slash === -1 ? buffer.length : slash);
      if (stop > i) {
        const run = buffer.toString("latin1", i, stop);
        if (hasWhitespace(buffer, i, stop)) this.sink.write(run);
        else this.sink.writeClean(run);
      }
      if (stop === buffer.length) return -1;
      if (stop === quote) return quote;
      this.pendingEscape = "";
      i = stop + 1;
      slash = buffer.indexOf(BACKSLASH, i);
    }
    return -1;
  }

  private escapeByte(byte: number, i: number): number {
    const char = String.fromCharCode(byte);
    if (this.pendingEscape === "") {
      if (char === "u") {
        this.pendingEscape = "u";
        return i + 1;
      }
      this.pendingEscape = null;
      const code = SHORT_ESCAPES[char];
      const kept = code === undefined ? null : unescaped(code);
      if (kept === null) this.sink.invalidate();
      else this.sink.write(kept);
      return i + 1;
    }
    const sequence = `${this.pendingEscape ?? "u"}${char}`;
    this.pendingEscape = sequence;
    if (sequence.length < 5) return i + 1;
    const hex = sequence.slice(1);
    this.pendingEscape = null;
    const kept = /^[0-9a-fA-F]{4}$/.test(hex) ? unescaped(Number.parseInt(hex, 16)) : null;
    if (kept === null) this.sink.invalidate();
    else this.sink.write(kept);
    return i + 1;
  }
}

/**
 * Whether bytes [from, to) hold JSON whitespace: four native scans, cheaper than a pattern over the text. Each scan
 * stops at `to`: a value with many escapes has many short runs, and scanning to the piece's end from each was
 * quadratic in the piece's size.
 */
function hasWhitespace(buffer: Buffer, from: number, to: number): boolean {
  const run = buffer.subarray(from, to);
  for (const byte of [0x20, 0x0a, 0x0d, 0x09]) if (run.indexOf(byte) !== -1) return true;
  return false;
}

enum State {
  Outside = 0,
  InString = 1,
  InEscape = 2,
  AfterKey = 3,
  AfterColon = 4,
  InImage = 5,
}

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/**
 * Feeds a JSON text in pieces; each string value of an image key ("b64_json" unless told) is decoded as it passes and
 * replaced by "@image:<n>". Strings are tracked (escapes included), so a key inside another string's text is never
 * taken for the key.
 */
export class B64JsonExtractor {
  private readonly longest: number;
  /** Bytes of the answer seen so far: what is left of its length bounds the next image. */
  private seen = 0;
  /**
   * `answerBytes`: the length of the whole answer when known (Content-Length of an uncompressed body), 0 when not:
   * each image is then decoded into one buffer of the size the rest of the answer can hold.
   */
  constructor(
    private readonly keys: readonly string[] = IMAGES_API_KEYS,
    private readonly answerBytes = 0,
  ) {
    this.longest = Math.max(...keys.map((key) => key.length));
  }
  private readonly kept: Buffer[] = [];
  private readonly images: (Buffer | null)[] = [];
  private state = State.Outside;
  /** The current string's text so far (only its first bytes: enough to recognise the key). */
  private head = "";
  private value: Base64Value | null = null;

  push(piece: Uint8Array): void {
    const buffer = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    this.seen += buffer.length;
    let i = 0;
    let keptFrom = 0;
    while (i < buffer.length) {
      if (this.state === State.InImage) {
        const end = (this.value as Base64Value).consume(buffer, i);
        if (end === -1) {
          i = buffer.length;
          keptFrom = i;
          break;
        }
        this.images.push((this.value as Base64Value).sink.end());
        this.value = null;
        this.kept.push(Buffer.from(`@image:${this.images.length - 1}`));
        keptFrom = end;
        i = end + 1;
        this.state = State.Outside;
        continue;
      }
      i = this.step(buffer, i);
      if ((this.state as State) === State.InImage) {
        this.kept.push(Buffer.from(buffer.subarray(keptFrom, i)));
        keptFrom = i;
      }
    }
    if (keptFrom < buffer.length) this.kept.push(Buffer.from(buffer.subarray(keptFrom)));
  }

  /** One move of the small state machine over the JSON around the images; returns where to go on. */
  private step(buffer: Buffer, i: number): number {
    const byte = buffer[i];
    switch (this.state) {
      case State.Outside: {
        const quote = buffer.indexOf(QUOTE, i);
        if (quote === -1) return buffer.length;
        this.state = State.InString;
        this.head = "";
        return quote + 1;
      }
      case State.InString: {
        if (byte === QUOTE) {
          this.state = this.keys.includes(this.head) ? State.AfterKey : State.Outside;
          return i + 1;
        }
        if (byte === BACKSLASH) this.state = State.InEscape;
        if (this.head.length <= this.longest) this.head += String.fromCharCode(byte as number);
        return i + 1;
      }
      case State.InEscape:
        this.state = State.InString;
        return i + 1;
      case State.AfterKey:
        if (isSpace(byte)) return i + 1;
        this.state = byte === 0x3a ? State.AfterColon : State.Outside;
        return byte === 0x3a ? i + 1 : i;
      default:
        if (isSpace(byte)) return i + 1;
        if (byte === QUOTE) {
          this.state = State.InImage;
          this.value = new Base64Value(this.expectedBytes(buffer, i));
          return i + 1;
        }
        this.state = State.Outside;
        return i;
    }
  }

  /** At most how many bytes an image starting at buffer[i] decodes to: what is left of the answer, as base64. */
  private expectedBytes(buffer: Buffer, i: number): number {
    if (this.answerBytes <= 0) return 0;
    const left = this.answerBytes - (this.seen - buffer.length + i);
    return left > 0 ? Math.ceil(left / 4) * 3 : 0;
  }

  /** The JSON text around the images (with placeholders) and the images; throws when the text ended inside one. */
  finish(): { text: string; images: (Buffer | null)[] } {
    if (this.state === State.InImage) throw cutOff("the answer ended inside an image (truncated body)");
    return { text: Buffer.concat(this.kept).toString("utf8"), images: this.images };
  }

  /**
   * The answer. Malformed JSON around complete images keeps the images (they were paid for) with a `problem`;
   * only an answer with no decoded image and no readable JSON is an error.
   */
  end(): StreamedImages {
    const { text, images } = this.finish();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (typeof json === "object" && json !== null && !Array.isArray(json)) {
      return { json: json as Record<string, unknown>, images };
    }
    if (images.some((image) => image !== null)) {
      const data = images.map((_, n) => ({ b64_json: `@image:${n}` }));
      return { json: { data }, images, problem: "the JSON around the images was malformed; the images were kept" };
    }
    throw cutOff("the answer is not valid JSON (truncated or malformed body)");
  }
}

/** The length of an answer's body when its headers say it (0 when not, or when it is compressed on the wire). */
export function answerLength(headers: Headers): number {
  if (headers.get("content-encoding")) return 0;
  const length = Number(headers.get("content-length") ?? 0);
  return Number.isSafeInteger(length) && length > 0 ? length : 0;
}

export async function readImagesJson(
  body: AsyncIterable<Uint8Array>,
  keys: readonly string[] = IMAGES_API_KEYS,
  answerBytes = 0,
): Promise<StreamedImages> {
  const extractor = new B64JsonExtractor(keys, answerBytes);
  for await (const piece of body) extractor.push(piece);
  return extractor.end();
}
