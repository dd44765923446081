// How an answer goes on the wire: the provider variants that change bytes but not meaning. Base64 with or without
// padding, JSON strings with \u escapes, gzip, and where a body is cut (hung up on, or stalled until the client
// leaves). A one-off fault or a standing gateway variant selects each.

import type { OutgoingHttpHeaders } from "node:http";
import { gzipSync } from "node:zlib";
import type { Exchange, SimState } from "./context.js";
import { untilAborted } from "./http.js";
import type { Fault, Variant } from "./knobs.js";

export interface Wire {
  /** SSE line ending. */
  eol: "\n" | "\r" | "\r\n";
  /** SSE: `: keep-alive` comment lines and a `ping` event, as servers with CR or CRLF endings send. */
  keepAlive: boolean;
  /** SSE: `data: [DONE]` after the last event. */
  done: boolean;
  /** Base64 without `=` padding. */
  unpadded: boolean;
  /** JSON strings with \u escapes: every + / = in base64, and other characters elsewhere. */
  escaped: boolean;
  gzip: boolean;
  /** Where the body stops early: "end" hangs up (truncate), "stall" waits for the client to leave. */
  cut: "end" | "stall" | null;
}

/** The wire for one answer: the request's fault and the gateway's standing variants. */
export function wireFor(state: SimState, fault: Fault | undefined): Wire {
  const on = (name: Variant) => fault === name || state.gateway.variants.includes(name);
  return {
    eol: on("sse_cr") ? "\r" : on("sse_crlf") ? "\r\n" : "\n",
    keepAlive: on("sse_cr") || on("sse_crlf"),
    done: on("sse_done"),
    unpadded: on("b64_unpadded"),
    escaped: on("b64_escaped"),
    gzip: on("gzip"),
    cut: fault === "truncate" ? "end" : fault === "stall_mid_stream" ? "stall" : null,
  };
}

export function encodeB64(bytes: Buffer, wire: Wire): string {
  const text = bytes.toString("base64");
  return wire.unpadded ? text.replace(/=+$/, "") : text;
}

/** Headers of a 200 answer: JSON or an event stream, gzip-encoded when the wire says so. */
export function answerHeaders(wire: Wire, stream: boolean): OutgoingHttpHeaders {
  return {
    ...(stream
      ? { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" }
      : { "content-type": "application/json" }),
    ...(wire.gzip ? { "content-encoding": "gzip" } : {}),
  };
}

/** The keys whose string values are base64 images. */
const B64_KEYS = new Set(["b64_json", "partial_image_b64", "result"]);

const hex = (c: string) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;

/** Escaped in every string value: the base64 alphabet's + / = and, as HTML-safe encoders do, < > & ' and non-ASCII. */
const ALWAYS = /[+/=<>&'\u0080-\uffff]/g;

/** A string value's inside, escaped: ALWAYS, and the first character of a value that is not base64. */
function escapeInside(inside: string, base64: boolean): string {
  const rest = inside.replace(ALWAYS, hex);
  if (base64 || rest === "" || rest.startsWith("\\")) return rest;
  return hex(rest.charAt(0)) + rest.slice(1);
}

/** JSON.stringify's text with every string value \u-escaped as escapeInside says; keys stay as they are. */
export function escapeJson(text: string): string {
  const parts: string[] = [];
  let i = 0;
  let key = "";
  for (let open = text.indexOf('"'); open >= 0; open = text.indexOf('"', i)) {
    let close = open + 1;
    while (text[close] !== '"') close += text[close] === "\\" ? 2 : 1;
    const inside = text.slice(open + 1, close);
    const isKey = text[close + 1] === ":";
    parts.push(text.slice(i, open + 1), isKey ? inside : escapeInside(inside, B64_KEYS.has(key)), '"');
    if (isKey) key = inside;
    i = close + 1;
  }
  parts.push(text.slice(i));
  return parts.join("");
}

export function jsonText(value: unknown, wire: Wire): string {
  const text = JSON.stringify(value);
  return wire.escaped ? escapeJson(text) : text;
}

/**
 * A 200 JSON answer as the wire says: escaped, gzip-encoded, or cut halfway (the full length promised). A cut body
 * hangs up when `hangUp` (the truncate fault), else stalls until the client leaves.
 */
export async function sendAnswer(ex: Exchange, wire: Wire, body: unknown, hangUp = false): Promise<void> {
  const text = Buffer.from(jsonText(body, wire));
  const bytes = wire.gzip ? gzipSync(text) : text;
  ex.res.writeHead(200, { ...answerHeaders(wire, false), "content-length": bytes.length });
  if (!hangUp && wire.cut !== "stall") return void ex.res.end(bytes);
  // Hung up only once the headers and the half are on the wire: destroying at once would drop them unsent.
  if (hangUp) return void ex.res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => ex.req.socket.destroy());
  ex.res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
  await untilAborted(ex.signal);
}
