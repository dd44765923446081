// Turn whatever the SDK or the network threw into one UpstreamError that says whether a retry can help.

import { AbortedError, UpstreamError } from "../errors.js";
import { asText, redactMaybe, redactText } from "../secrets.js";

const HINTS: Record<number, string> = {
  401: "the API key was rejected: check OPENAI_API_KEY",
  403: "the key is not allowed to use this model or endpoint",
  404: "the model or endpoint does not exist for this key",
};

function headerMs(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get("retry-after-ms"));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const seconds = headers?.get("retry-after");
  if (!seconds) return undefined;
  const asNumber = Number(seconds);
  if (Number.isFinite(asNumber)) return asNumber * 1000;
  const date = Date.parse(seconds);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/** A connection error that happened before the request could be sent (refused, unknown host). */
function neverSent(err: Error): boolean {
  let cause: unknown = err.cause;
  for (let depth = 0; depth < 4 && cause; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string" && /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|UND_ERR_CONNECT_TIMEOUT)$/.test(code))
      return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}

const QUOTA = /quota|billing|insufficient|credit|balance|payment/i;

export interface Classified {
  error: UpstreamError | AbortedError;
  retryAfterMs?: number;
  reason: string;
}

type SdkErrors = typeof import("openai/error");
let sdkErrors: Promise<SdkErrors> | undefined;

/** The SDK's error classes, loaded with the SDK itself (lazily), for instanceof checks. */
export function loadSdkErrors(): Promise<SdkErrors> {
  sdkErrors ??= import("openai/error");
  return sdkErrors;
}

/** A provider's error code as text that may be shown: redacted, whatever its type; null when there is none. */
function codeOf(value: unknown): string | null {
  if (value === undefined || value === null || value === "") return null;
  return redactText(value);
}

export function classify(err: unknown, provider: string, sdk: SdkErrors): Classified {
  const { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } = sdk;
  if (err instanceof AbortedError) return { error: err, reason: "cancelled" };
  if (err instanceof APIUserAbortError || (err as Error)?.name === "AbortError") {
    return { error: new AbortedError(), reason: "cancelled" };
  }
  const answerId = (err as { requestID?: string } | null)?.requestID ?? null;
  if (err instanceof UpstreamError) {
    // Raised by our own readers from what the provider sent: its message and request id are outside text too.
    const details = {
      ...err.details,
      provider,
      code: codeOf(err.details.code),
      requestId: redactMaybe(err.details.requestId ?? answerId),
    };
    const clean = new UpstreamError(redactText(err.message), details, { cause: err });
    return { error: clean, reason: clean.message };
  }
  if (err instanceof APIConnectionTimeoutError) {
    return {
      error: new UpstreamError(
        "the request timed out (PIXELWRIGHT_TIMEOUT_SECONDS); it may have been billed",
        { retryable: true, provider, mayHaveBeenBilled: true },
        { cause: err },
      ),
      reason: "timeout",
    };
  }
  if (err instanceof APIConnectionError) {
    return {
      error: new UpstreamError(
        `could not reach the API (${redactText(err.message)})`,
        { retryable: true, provider, mayHaveBeenBilled: !neverSent(err) },
        { cause: err },
      ),
      reason: "connection error",
    };
  }
  if (err instanceof APIError) {
    const status = err.status ?? 0;
    // Every field of the provider's error (message, code, nested values) is outside text, of any type.
    const body = err.error as { message?: unknown } | undefined;
    const message = redactText(body?.message ?? err.message);
    const code = codeOf(err.code);
    // A 429 for an exhausted quota (insufficient_quota) is not a rate limit: a retry cannot succeed.
    const quota = status === 429 && QUOTA.test(`${code ?? ""} ${message}`);
    const retryable = !quota && (status === 408 || status === 409 || status === 429 || status >= 500);
    const hint = HINTS[status];
    const text = `${status} ${code ? `${code}: ` : ""}${message}${hint ? ` (${hint})` : ""}`;
    const retryAfterMs = headerMs(err.headers as Headers | undefined);
    return {
      error: new UpstreamError(
        text,
        // An answer with an HTTP error status (4xx or 5xx) is not billed (SPEC §9): its reservation is released.
        {
          status,
          code,
          requestId: redactMaybe(err.requestID ?? null),
          retryable,
          provider,
          mayHaveBeenBilled: false,
        },
        { cause: err },
      ),
      reason: `${status}${code ? ` ${code}` : ""}`,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }
  // A body cut off mid-way, or JSON that does not parse: the network failed after the headers.
  const cut = cutOff(redactText((err as Error)?.message ?? String(err)), { cause: err });
  const details = { ...cut.details, provider, requestId: redactMaybe(answerId) };
  return { error: new UpstreamError(cut.message, details, { cause: err }), reason: "truncated or malformed response" };
}

/** A body that ended early or does not parse: the work may have been done (and billed), so it is retryable. */
export function cutOff(what: string, options?: { cause?: unknown }): UpstreamError {
  return new UpstreamError(
    `the response was cut off or malformed (${what}); it may have been billed`,
    { retryable: true, mayHaveBeenBilled: true },
    options,
  );
}

const TRANSIENT = /rate.?limit|server_error|overloaded|unavailable|timeout|temporar|try again/i;

/**
 * An error object a provider sent inside a 200 answer or a stream event (`{"error": {"message", "type", "code"}}`):
 * reported with the provider's own message and classified. A quota or billing error is never retried.
 */
export function errorInAnswer(body: unknown, requestId: string | null): UpstreamError {
  const error = (typeof body === "object" && body !== null ? body : { message: String(body) }) as {
    message?: unknown;
    type?: unknown;
    code?: unknown;
  };
  const message = redactText(error.message ?? "no message");
  const code = codeOf([error.code, error.type].find((v) => typeof v === "string" && v.length > 0));
  const words = `${asText(error.code ?? "")} ${asText(error.type ?? "")} ${message}`;
  const quota = QUOTA.test(words);
  const retryable = !quota && TRANSIENT.test(words);
  const advice = quota ? " (a quota or billing limit: not retried; check the account's balance and limits)" : "";
  return new UpstreamError(`the provider answered with an error: ${code ? `${code}: ` : ""}${message}${advice}`, {
    status: 200,
    code: code ?? null,
    requestId: redactMaybe(requestId),
    retryable,
    mayHaveBeenBilled: false,
  });
}
