// One place that knows which strings must never leave the process: the configured secrets (the API key, the HTTP
// token), any 8+ character piece of them — as written, base64-encoded (standard or URL alphabet, at any alignment)
// or percent-encoded — and anything shaped like an OpenAI key or a bearer credential. Every text that comes from
// outside (provider messages, codes, types, params, request ids, revised prompts, assistant text, headers, stream
// events) goes through `redactText` before it is stored, logged or shown; a value that is not a string is turned
// into text first. Short texts only: image payloads never go through here.

const REDACTED = "[redacted]";
/** A piece of a secret this long or longer is treated as the secret (providers echo partial keys). */
export const FRAGMENT = 8;

/** Secrets shorter than FRAGMENT: matched whole. */
const shortSecrets = new Set<string>();
/** Every FRAGMENT-long substring of every registered secret, and their rolling hashes (one pass over a text). */
const fragments = new Set<string>();
const fragmentHashes = new Set<number>();

// A key-shaped token after anything but a letter or digit (so also after `_`, `=`, quotes, slashes) ...
const KEY_SHAPE = /(?<![A-Za-z0-9])sk-[A-Za-z0-9_*.-]{6,}/g;
// ... or glued to a word, when it looks like a real key (long, with a digit and an upper-case letter).
const KEY_SHAPE_GLUED = /sk-(?=[A-Za-z0-9_.-]*[0-9])(?=[A-Za-z0-9_.-]*[A-Z])[A-Za-z0-9_.-]{20,}/g;
const BEARER = /\b(Bearer)\s+[A-Za-z0-9._~+/*-]{6,}=*/gi;
/** The password in a connection URL (redis://user:password@host). */
const URL_PASSWORD = /\b(rediss?:\/\/[^:@/\s]*:)[^@/\s]+@/gi;

const BASE = 31;
const BASE_POW = (() => {
  let p = 1;
  for (let i = 0; i < FRAGMENT - 1; i++) p = Math.imul(p, BASE);
  return p;
})();

function hashAt(text: string, start: number): number {
  let h = 0;
  for (let i = start; i < start + FRAGMENT; i++) h = (Math.imul(h, BASE) + text.charCodeAt(i)) | 0;
  return h;
}

function addFragments(text: string): void {
  for (let i = 0; i + FRAGMENT <= text.length; i++) {
    fragments.add(text.slice(i, i + FRAGMENT));
    fragmentHashes.add(hashAt(text, i));
  }
}

/**
 * The base64 forms of a secret wherever it sits in an encoded text: the secret starting at each of the three byte
 * offsets of a base64 group, whole groups only (the characters around them depend on the neighbouring bytes).
 */
function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret, "utf8");
  const forms: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const aligned = bytes.subarray(shift, shift + Math.floor((bytes.length - shift) / 3) * 3);
    forms.push(aligned.toString("base64"), aligned.toString("base64url"));
  }
  return forms;
}

export function registerSecret(value: string | undefined): void {
  if (!value) return;
  const secret = value.trim();
  if (secret.length === 0) return;
  if (secret.length < FRAGMENT) {
    // Too short to hunt for inside other words without redacting ordinary text; whole-word matches only.
    if (secret.length >= 4) shortSecrets.add(secret);
    return;
  }
  addFragments(secret);
  for (const form of base64Forms(secret)) addFragments(form);
}

/** Forgets every registered secret (tests). */
export function clearSecrets(): void {
  shortSecrets.clear();
  fragments.clear();
  fragmentHashes.clear();
}

/** Spans [start, end) of the text covered by fragments of a registered secret, merged. One pass, rolling hash. */
function fragmentSpans(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  if (fragments.size === 0 || text.length < FRAGMENT) return spans;
  let h = hashAt(text, 0);
  for (let i = 0; ; i++) {
    if (fragmentHashes.has(h) && fragments.has(text.slice(i, i + FRAGMENT))) {
      const last = spans[spans.length - 1];
      if (last && i <= last[1]) last[1] = i + FRAGMENT;
      else spans.push([i, i + FRAGMENT]);
    }
    const next = i + FRAGMENT;
    if (next >= text.length) break;
    h = (Math.imul(h - Math.imul(text.charCodeAt(i), BASE_POW), BASE) + text.charCodeAt(next)) | 0;
  }
  return spans;
}

const PERCENT = /%[0-9A-Fa-f]{2}/;

/**
 * The text with every %XX escape decoded (one byte, one character), and where each of its characters starts in the
 * text: fragments found in the decoded view are removed from the text as sent.
 */
function percentDecoded(text: string): { view: string; starts: number[] } {
  const chars: string[] = [];
  const starts: number[] = [];
  for (let i = 0; i < text.length; ) {
    starts.push(i);
    const sequence = text[i] === "%" ? text.slice(i, i + 3) : "";
    if (sequence.length === 3 && PERCENT.test(sequence)) {
      chars.push(String.fromCharCode(Number.parseInt(sequence.slice(1), 16)));
      i += 3;
    } else {
      chars.push(text[i] as string);
      i++;
    }
  }
  starts.push(text.length);
  return { view: chars.join(""), starts };
}

/** Spans of the text covered by fragments, as written or percent-encoded, sorted and merged. */
function secretSpans(text: string): Array<[number, number]> {
  const spans = fragmentSpans(text);
  if (PERCENT.test(text)) {
    const { view, starts } = percentDecoded(text);
    for (const [start, end] of fragmentSpans(view)) spans.push([starts[start] as number, starts[end] as number]);
    spans.sort((a, b) => a[0] - b[0]);
  }
  const merged: Array<[number, number]> = [];
  for (const span of spans) {
    const last = merged[merged.length - 1];
    if (last && span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
    else merged.push([span[0], span[1]]);
  }
  return merged;
}

function removeFragments(text: string): string {
  const spans = secretSpans(text);
  if (spans.length === 0) return text;
  let out = "";
  let at = 0;
  for (const [start, end] of spans) {
    out += text.slice(at, start) + REDACTED;
    at = end;
  }
  return out + text.slice(at);
}

/** Any value as text: a string as it is, anything else as JSON (or String when it has no JSON form). */
export function asText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined || typeof value === "function" || typeof value === "symbol") return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The text (a value that is not a string is turned into text first) without any secret in any of its forms. */
export function redactText(value: unknown): string {
  const text = asText(value);
  let out = removeFragments(text);
  for (const secret of shortSecrets) out = out.split(secret).join(REDACTED);
  return out
    .replace(KEY_SHAPE, `sk-${REDACTED}`)
    .replace(KEY_SHAPE_GLUED, `sk-${REDACTED}`)
    .replace(BEARER, `$1 ${REDACTED}`)
    .replace(URL_PASSWORD, `$1${REDACTED}@`);
}

/** Registers the password of a connection URL (PIXELWRIGHT_REDIS_URL) as a secret. */
export function registerUrlSecret(url: string | undefined): void {
  if (!url) return;
  try {
    registerSecret(decodeURIComponent(new URL(url).password));
  } catch {
    // Not a URL: the config check refuses it with its own message.
  }
}

/** redactText for an optional value. */
export function redactMaybe<T extends string | null | undefined>(text: T): T {
  return (typeof text === "string" ? redactText(text) : text) as T;
}

/**
 * Every string inside a JSON-like value, redacted (objects and arrays copied). Below `depth` levels what is left is
 * redacted as one text. Buffers and typed arrays pass through untouched: image bytes are never scanned.
 */
export function redactDeep<T>(value: T, depth = 6): T {
  if (typeof value === "string") return redactText(value) as T;
  if (value === null || typeof value !== "object") return value;
  if (ArrayBuffer.isView(value)) return value;
  if (depth <= 0) return redactText(value) as T;
  if (value instanceof Error) {
    // As a plain object (what a log line shows): its own fields, then type, message and stack, all redacted.
    const fields = redactDeep({ ...value }, depth - 1) as Record<string, unknown>;
    const cause = value.cause === undefined ? {} : { cause: redactDeep(value.cause, depth - 1) };
    return {
      ...fields,
      type: value.name,
      message: redactText(value.message),
      stack: redactText(value.stack ?? ""),
      ...cause,
    } as T;
  }
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth - 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = redactDeep(v, depth - 1);
  return out as T;
}
