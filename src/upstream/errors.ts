// Turn whatever the SDK or the network threw into one UpstreamError that says whether a retry can help.

import { AbortedError, UpstreamError } from "../errors.js";
import { redactMaybe, redactText } from "../secrets.js";

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

export function classify(err: unknown, provider: string, sdk: SdkErrors): Classified {
  const { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } = sdk;
  if (err instanceof AbortedError) return { error: err, reason: "cancelled" };
  if (err instanceof APIUserAbortError || (err as Error)?.name === "AbortError") {
    return { error: new AbortedError(), reason: "cancelled" };
  }
  if (err instanceof UpstreamError) {
    // Raised by our own readers from what the provider sent: its message and request id are outside text too.
    const details = { ...err.details, requestId: redactMaybe(err.details.requestId ?? null) };
    const clean = new UpstreamError(redactText(err.message), details, { cause: err });
    return { error: clean, reason: clean.message };
  }
  if (err instanceof APIConnectionTimeoutError) {
    return {
      error: new UpstreamError(
        "the request timed out (PIXELWRIGHT_TIMEOUT_SECONDS)",
        { retryable: true, provider },
        { cause: err },
      ),
      reason: "timeout",
    };
  }
  if (err instanceof APIConnectionError) {
    return {
      error: new UpstreamError(
        `could not reach the API (${redactText(err.message)})`,
        { retryable: true, provider },
        { cause: err },
      ),
      reason: "connection error",
    };
  }
  if (err instanceof APIError) {
    const status = err.status ?? 0;
    const body = err.error as { message?: string } | undefined;
    const message = redactText(body?.message ?? err.message);
    const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
    const hint = HINTS[status];
    const code = err.code ?? null;
    const text = `${status} ${code ? `${code}: ` : ""}${message}${hint ? ` (${hint})` : ""}`;
    const retryAfterMs = headerMs(err.headers as Headers | undefined);
    return {
      error: new UpstreamError(
        text,
        { status, code, requestId: redactMaybe(err.requestID ?? null), retryable, provider },
        { cause: err },
      ),
      reason: `${status}${code ? ` ${code}` : ""}`,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }
  // A body cut off mid-way, or JSON that does not parse: the network failed after the headers.
  const message = redactText((err as Error)?.message ?? String(err));
  return {
    error: new UpstreamError(
      `the response was cut off or malformed (${message})`,
      { retryable: true, provider },
      { cause: err },
    ),
    reason: "truncated or malformed response",
  };
}
