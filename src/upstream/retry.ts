// Bounded retries with exponential backoff and jitter, honouring retry-after; never on a user error.
// Every retry is reported: a retried 4K call may be billed twice, and the record must say why it happened.

import { AbortedError, SpendRefusedError } from "../errors.js";
import { classify, loadSdkErrors } from "./errors.js";
import type { RetryRecord } from "./types.js";

export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxRetries: 2, baseDelayMs: 1000, maxDelayMs: 60_000 };

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError());
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export async function withRetries<T>(
  attempt: (n: number) => Promise<T>,
  options: { policy: RetryPolicy; provider: string; signal?: AbortSignal; onRetry?: (r: RetryRecord) => void },
): Promise<T> {
  const { policy } = options;
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      // The spend cap refused this step before it was sent: nothing more goes out.
      if (err instanceof SpendRefusedError) throw err;
      const classified = classify(err, options.provider, await loadSdkErrors());
      const { error } = classified;
      if (error instanceof AbortedError || options.signal?.aborted) throw new AbortedError();
      if (!error.details.retryable || n >= policy.maxRetries) throw error;
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** n);
      const jittered = backoff / 2 + Math.random() * (backoff / 2);
      const delay = Math.min(policy.maxDelayMs, Math.max(jittered, classified.retryAfterMs ?? 0));
      options.onRetry?.({
        attempt: n + 1,
        reason: classified.reason,
        request_id: error.details.requestId ?? null,
        delay_ms: Math.round(delay),
        may_have_been_billed: error.details.mayHaveBeenBilled ?? false,
      });
      await sleep(delay, options.signal);
    }
  }
}
