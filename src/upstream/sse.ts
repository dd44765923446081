// Server-sent events read as the WHATWG HTML standard defines them (LF, CRLF or CR line endings, comments, field
// names with or without a value, multi-line data joined by "\n", event/id/retry fields), whose data is JSON with
// b64_json values: each event's data goes through its own extractor as it arrives, so a streamed 4K image, partial or
// final, is never held as text. `data: [DONE]`, the sentinel many OpenAI-compatible servers end with, ends the stream.

import { B64JsonExtractor, IMAGES_API_KEYS } from "./b64-stream.js";

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;

export interface SseEvent {
  /** The `event:` field, or null for the default ("message"). */
  event: string | null;
  /** The last event id seen, if any. */
  id: string | null;
  /** The data as JSON (each b64_json value replaced by "@image:<n>"); null when the data is not a JSON object. */
  json: Record<string, unknown> | null;
  /** The start of the data when it is not JSON (a ping, a keep-alive), for messages. */
  text: string;
  /** The decoded images of this event, or null where a value was not valid base64. */
  images: (Buffer | null)[];
}

type LineState = "start" | "name" | "value" | "data" | "comment";

function endOfLine(buffer: Buffer, from: number): number {
  const lf = buffer.indexOf(LF, from);
  const cr = buffer.indexOf(CR, from, "latin1");
  if (lf === -1) return cr;
  return cr === -1 ? lf : Math.min(lf, cr);
}

/** The parser as a push machine: feed it pieces of any size, get the complete events each piece finished. */
export class SseImageReader {
  private line: LineState = "start";
  private afterCR = false;
  private skipSpace = false;
  private atStart = true;
  private name = "";
  /** A small field's value, collected as latin1 and read as UTF-8 when the line ends. */
  private value = "";
  private extractor: B64JsonExtractor | null = null;
  private event: string | null = null;
  private id: string | null = null;
  /** True once `data: [DONE]` arrived: nothing after it is read. */
  done = false;

  /** `keys`: the JSON keys whose string values are base64 images (the Images API's unless told). */
  constructor(private readonly keys: readonly string[] = IMAGES_API_KEYS) {}

  push(piece: Uint8Array): SseEvent[] {
    const out: SseEvent[] = [];
    let buffer = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    if (this.atStart && buffer.length > 0) {
      this.atStart = false;
      if (buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) buffer = buffer.subarray(3);
    }
    let i = 0;
    while (i < buffer.length && !this.done) {
      const byte = buffer[i] as number;
      if (this.afterCR) {
        this.afterCR = false;
        if (byte === LF) {
          i++;
          continue;
        }
      }
      if (this.skipSpace) {
        this.skipSpace = false;
        if (byte === SPACE) {
          i++;
          continue;
        }
      }
      i = this.step(buffer, i, byte, out);
    }
    return out;
  }

  private step(buffer: Buffer, i: number, byte: number, out: SseEvent[]): number {
    if (this.line === "start") {
      if (byte === CR || byte === LF) {
        this.afterCR = byte === CR;
        this.dispatch(out);
        return i + 1;
      }
      this.line = byte === COLON ? "comment" : "name";
      this.name = "";
      return byte === COLON ? i + 1 : i;
    }
    if (this.line === "name") {
      let j = i;
      while (j < buffer.length && buffer[j] !== COLON && buffer[j] !== CR && buffer[j] !== LF) j++;
      this.name += buffer.toString("latin1", i, j);
      if (j === buffer.length) return j;
      if (buffer[j] === COLON) {
        this.beginValue();
        return j + 1;
      }
      // A line without a colon is a field name with an empty value.
      this.beginValue();
      return this.lineEnd(buffer, j);
    }
    const end = endOfLine(buffer, i);
    const stop = end === -1 ? buffer.length : end;
    if (this.line === "data" && stop > i) this.extractor?.push(buffer.subarray(i, stop));
    if (this.line === "value") this.value += buffer.toString("latin1", i, stop);
    return end === -1 ? stop : this.lineEnd(buffer, end);
  }

  private beginValue(): void {
    this.skipSpace = true;
    if (this.name === "data") {
      // Several data lines in one event are joined with "\n" (whitespace to JSON and to base64 alike).
      if (this.extractor) this.extractor.push(Buffer.from("\n"));
      else this.extractor = new B64JsonExtractor(this.keys);
      this.line = "data";
    } else {
      this.line = "value";
      this.value = "";
    }
  }

  private lineEnd(buffer: Buffer, at: number): number {
    if (this.line === "value") {
      const value = Buffer.from(this.value, "latin1").toString("utf8");
      if (this.name === "event") this.event = value;
      else if (this.name === "id" && !value.includes("\0")) this.id = value;
      // retry: reconnection is not ours to do (a retried image request is a new paid call); other fields are ignored.
    }
    this.afterCR = buffer[at] === CR;
    this.skipSpace = false;
    this.line = "start";
    return at + 1;
  }

  private dispatch(out: SseEvent[]): void {
    const extractor = this.extractor;
    const event = this.event;
    this.extractor = null;
    this.event = null;
    if (!extractor) return;
    let text: string;
    let images: (Buffer | null)[];
    try {
      ({ text, images } = extractor.finish());
    } catch {
      out.push({ event, id: this.id, json: null, text: "(an event that ended inside an image)", images: [] });
      return;
    }
    const trimmed = text.trim();
    if (trimmed === "") return;
    if (trimmed === "[DONE]") {
      this.done = true;
      return;
    }
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    const object = typeof json === "object" && json !== null && !Array.isArray(json);
    out.push({
      event,
      id: this.id,
      json: object ? (json as Record<string, unknown>) : null,
      text: object ? "" : trimmed.slice(0, 200),
      images,
    });
  }

  /** The end of the stream: an event whose blank line never came is still read (its data may be complete). */
  end(): SseEvent[] {
    const out: SseEvent[] = [];
    if (this.done) return out;
    if (this.line === "value") this.lineEnd(Buffer.from("\n"), 0);
    this.dispatch(out);
    return out;
  }
}

/** The events of an SSE byte stream; stops reading at `data: [DONE]`. */
export async function* readImagesSse(
  body: AsyncIterable<Uint8Array>,
  keys: readonly string[] = IMAGES_API_KEYS,
): AsyncGenerator<SseEvent> {
  const reader = new SseImageReader(keys);
  for await (const piece of body) {
    for (const event of reader.push(piece)) yield event;
    if (reader.done) return;
  }
  for (const event of reader.end()) yield event;
}
