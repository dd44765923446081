// The deadlines of one upstream attempt. The SDK's own timeout stops once the response headers arrive, so a body
// or a stream that stalls after them would hang for ever, holding its concurrency slot. Here one deadline covers
// connect, headers and body together (PIXELWRIGHT_TIMEOUT_SECONDS), and a body also ends after a stretch without
// bytes (PIXELWRIGHT_STREAM_IDLE_SECONDS). On expiry the attempt is aborted with a reason that says it may have been
// billed: the request was sent, so the provider may have produced (and charged for) an image we never received.

import { AbortedError, UpstreamError } from "../errors.js";

export interface DeadlineLimits {
  /** The whole attempt: connect, headers and body. */
  totalMs: number;
  /** The body: the longest stretch without a byte. */
  idleMs: number;
}

export class AttemptDeadline {
  private readonly controller = new AbortController();
  private totalTimer: NodeJS.Timeout;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly onParentAbort: () => void;
  /** Rejects when the attempt must end: an UpstreamError at a deadline, an AbortedError on the caller's abort. */
  readonly expired: Promise<never>;
  private fail!: (err: Error) => void;
  /** Why the attempt was stopped by a deadline, or null. */
  reason: string | null = null;

  constructor(
    private readonly limits: DeadlineLimits,
    private readonly parent: AbortSignal | undefined,
    private readonly requestId: () => string | null = () => null,
  ) {
    this.expired = new Promise<never>((_, reject) => {
      this.fail = reject;
    });
    this.expired.catch(() => {});
    this.totalTimer = setTimeout(
      () =>
        this.expire(`no complete answer within ${Math.round(limits.totalMs / 1000)} s (PIXELWRIGHT_TIMEOUT_SECONDS)`),
      limits.totalMs,
    );
    this.onParentAbort = () => {
      this.controller.abort(parent?.reason);
      this.fail(new AbortedError());
    };
    if (parent?.aborted) this.onParentAbort();
    else parent?.addEventListener("abort", this.onParentAbort, { once: true });
  }

  /** The signal handed to the SDK: aborted by the caller or by a deadline. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Bytes arrived: the idle clock starts again. */
  touch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const seconds = Math.round(this.limits.idleMs / 1000);
    this.idleTimer = setTimeout(
      () => this.expire(`the answer stalled: no bytes for ${seconds} s (PIXELWRIGHT_STREAM_IDLE_SECONDS)`),
      this.limits.idleMs,
    );
  }

  /** Waits for a promise, or ends at the deadline. */
  race<T>(promise: Promise<T>): Promise<T> {
    promise.catch(() => {});
    return Promise.race([promise, this.expired]);
  }

  /** A body read under the deadlines: every piece restarts the idle clock; a stall or the deadline ends it. */
  async *watch<T>(body: AsyncIterable<T>): AsyncGenerator<T> {
    const iterator = body[Symbol.asyncIterator]();
    this.touch();
    try {
      while (true) {
        const next = await this.race(iterator.next());
        if (next.done) return;
        this.touch();
        yield next.value;
      }
    } finally {
      void iterator.return?.()?.catch(() => {});
    }
  }

  dispose(): void {
    clearTimeout(this.totalTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.parent?.removeEventListener("abort", this.onParentAbort);
  }

  private expire(reason: string): void {
    if (this.reason || this.controller.signal.aborted) return;
    this.reason = reason;
    const error = new UpstreamError(`timeout: ${reason}; the request was sent, so it may have been billed`, {
      retryable: true,
      requestId: this.requestId(),
      mayHaveBeenBilled: true,
    });
    this.fail(error);
    this.controller.abort(error);
  }
}
