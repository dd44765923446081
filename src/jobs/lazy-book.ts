// A job book opened on first use. A stdio server answers `initialize` and `tools/list` long before anyone asks for an
// image, and many sessions never do: opening the database (SQLite, its schema, the spend imported from jobs.jsonl)
// waits until it is needed, or until the server warms up after the handshake.

import type {
  BookHealth,
  BookJob,
  JobBook,
  JobListener,
  JobOutcome,
  JobProgress,
  ReserveOutcome,
  ReserveRequest,
  SendClearance,
  SpendEntry,
  SubmitOutcome,
  SubmitRequest,
} from "./book.js";

export class LazyBook implements JobBook {
  private opening: Promise<JobBook> | null = null;
  private book: JobBook | null = null;
  private closed = false;

  constructor(
    readonly kind: "sqlite" | "redis",
    private readonly openBook: () => Promise<JobBook>,
  ) {}

  /** The book, opened now if it was not yet; a failed opening is tried again at the next use (once it is fixed). */
  open(): Promise<JobBook> {
    this.opening ??= this.openBook().then(
      (book) => {
        this.book = book;
        return book;
      },
      (err: unknown) => {
        this.opening = null;
        throw err;
      },
    );
    return this.opening;
  }

  /** Subscribes once the book is open; unsubscribing first means never subscribing. */
  private later(subscribe: (book: JobBook) => () => void): () => void {
    let stop: (() => void) | null = null;
    let cancelled = false;
    void this.open().then(
      (book) => {
        if (!cancelled) stop = subscribe(book);
      },
      () => {},
    );
    return () => {
      cancelled = true;
      stop?.();
    };
  }

  async submit(request: SubmitRequest): Promise<SubmitOutcome> {
    return (await this.open()).submit(request);
  }
  async get(id: string): Promise<BookJob | null> {
    return (await this.open()).get(id);
  }
  async find(key: string, reuseWindowMs: number): Promise<BookJob | null> {
    return (await this.open()).find(key, reuseWindowMs);
  }
  async attach(id: string): Promise<number> {
    return (await this.open()).attach(id);
  }
  async active(): Promise<number> {
    return (await this.open()).active();
  }
  async running(): Promise<number> {
    return (await this.open()).running();
  }
  async list(since: number, limit: number): Promise<BookJob[]> {
    return (await this.open()).list(since, limit);
  }
  async claim(worker: string, pool: string, limit: number, leaseMs: number): Promise<BookJob | null> {
    return (await this.open()).claim(worker, pool, limit, leaseMs);
  }
  async renew(worker: string, ids: string[], leaseMs: number): Promise<void> {
    return (await this.open()).renew(worker, ids, leaseMs);
  }
  async progress(id: string, worker: string, update: JobProgress): Promise<void> {
    return (await this.open()).progress(id, worker, update);
  }
  async slotWait(id: string, worker: string, waiting: boolean): Promise<void> {
    return (await this.open()).slotWait(id, worker, waiting);
  }
  async markSent(id: string, worker: string): Promise<SendClearance> {
    return (await this.open()).markSent(id, worker);
  }
  async finish(id: string, worker: string, outcome: JobOutcome): Promise<boolean> {
    return (await this.open()).finish(id, worker, outcome);
  }
  async handBack(id: string, worker: string): Promise<void> {
    return (await this.open()).handBack(id, worker);
  }
  async cancel(id: string, reason: string): Promise<BookJob | null> {
    return (await this.open()).cancel(id, reason);
  }
  async reap(): Promise<BookJob[]> {
    return (await this.open()).reap();
  }
  watch(id: string, listener: JobListener): () => void {
    return this.later((book) => book.watch(id, listener));
  }
  onQueued(listener: () => void): () => void {
    return this.later((book) => book.onQueued(listener));
  }
  async reserve(request: ReserveRequest): Promise<ReserveOutcome> {
    return (await this.open()).reserve(request);
  }
  async settle(id: string, usd: number): Promise<void> {
    return (await this.open()).settle(id, usd);
  }
  async release(id: string): Promise<void> {
    return (await this.open()).release(id);
  }
  async keep(id: string): Promise<void> {
    return (await this.open()).keep(id);
  }
  async assign(ids: string[], jobId: string): Promise<void> {
    return (await this.open()).assign(ids, jobId);
  }
  async spending(windowMs: number): Promise<SpendEntry[]> {
    return (await this.open()).spending(windowMs);
  }
  async importSpending(entries: SpendEntry[]): Promise<void> {
    return (await this.open()).importSpending(entries);
  }
  async runnerAlive(pool: string): Promise<boolean> {
    return (await this.open()).runnerAlive(pool);
  }
  async leaseRunner(pool: string, owner: string, leaseMs: number): Promise<boolean> {
    return (await this.open()).leaseRunner(pool, owner, leaseMs);
  }
  async releaseRunner(pool: string, owner: string): Promise<void> {
    return (await this.open()).releaseRunner(pool, owner);
  }
  async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return (await this.open()).withLock(name, fn);
  }
  health(): BookHealth {
    return this.book?.health() ?? { store: this.kind, reachable: !this.closed };
  }
  async close(): Promise<void> {
    this.closed = true;
    // A book being opened is closed once open; one never opened has nothing to close.
    if (this.opening) await (await this.opening.catch(() => null))?.close();
  }
}
