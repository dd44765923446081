// A counting semaphore: at most `limit` upstream calls in flight, the rest wait in arrival order.

import { AbortedError } from "../errors.js";

export class Limiter {
  private active = 0;
  private readonly waiting: { resolve: () => void; reject: (e: Error) => void; signal?: AbortSignal }[] = [];

  constructor(readonly limit: number) {}

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves to a release function once a slot is free; rejects if the signal aborts first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new AbortedError());
    const release = () => {
      this.active--;
      this.next();
    };
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve(once(release));
    }
    return new Promise((resolve, reject) => {
      const entry = {
        resolve: () => resolve(once(release)),
        reject,
        ...(signal ? { signal } : {}),
      };
      this.waiting.push(entry);
      signal?.addEventListener(
        "abort",
        () => {
          const i = this.waiting.indexOf(entry);
          if (i >= 0) {
            this.waiting.splice(i, 1);
            reject(new AbortedError());
          }
        },
        { once: true },
      );
    });
  }

  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  private next(): void {
    const entry = this.waiting.shift();
    if (!entry) return;
    this.active++;
    entry.resolve();
  }
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
