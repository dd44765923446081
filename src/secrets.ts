// One place that knows which strings must never leave the process: the configured secrets (the API key, the HTTP
// token), any 8+ character piece of them, and anything shaped like an OpenAI key or a bearer credential. Applied to
// every text that comes from outside (provider messages, request ids, revised prompts, assistant text, headers)
// before it is stored or shown. Short texts only: image payloads never go through here.

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

export function registerSecret(value: string | undefined): void {
  if (!value) return;
  const secret = value.trim();
  if (secret.length === 0) return;
  if (secret.length < FRAGMENT) {
    // Too short to hunt for inside other words without redacting ordinary text; whole-word matches only.
    if (secret.length >= 4) shortSecrets.add(secret);
    return;
  }
  for (let i = 0; i + FRAGMENT <= secret.length; i++) {
    fragments.add(secret.slice(i, i + FRAGMENT));
    fragmentHashes.add(hashAt(secret, i));
  }
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

function removeFragments(text: string): string {
  const spans = fragmentSpans(text);
  if (spans.length === 0) return text;
  let out = "";
  let at = 0;
  for (const [start, end] of spans) {
    out += text.slice(at, start) + REDACTED;
    at = end;
  }
  return out + text.slice(at);
}

export function redactText(text: string): string {
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
 * Every string inside a JSON-like value, redacted (objects and arrays copied, depth-limited). Buffers and typed
 * arrays pass through untouched: image bytes are never scanned.
 */
export function redactDeep<T>(value: T, depth = 6): T {
  if (typeof value === "string") return redactText(value) as T;
  if (value === null || typeof value !== "object" || depth <= 0) return value;
  if (ArrayBuffer.isView(value)) return value;
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
