// The worker over a real SQLite book, two workers standing for two processes: the lease decides who may send a
// job's paid request, and a runner with nothing to do stops after its idle time however often its heartbeat looks.

import { mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type BookJob, type JobBook, workerName } from "../../src/jobs/book.js";
import { openSqliteBook } from "../../src/jobs/sqlite-book.js";
import { type JobContext, Worker, type WorkerOptions } from "../../src/jobs/worker.js";
import { createLogger } from "../../src/log.js";

const logger = createLogger("silent");
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function books(): Promise<[JobBook, JobBook]> {
  const dir = mkdtempSync(join(tmpdir(), "pixelwright-worker-"));
  const path = join(dir, "state.db");
  const a = await openSqliteBook({ path });
  const b = await openSqliteBook({ path });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => a.close());
  cleanups.push(() => b.close());
  return [a, b];
}

function worker(book: JobBook, options: Partial<WorkerOptions> & Pick<WorkerOptions, "work">): Worker {
  const w = new Worker({
    book,
    name: workerName(hostname(), process.pid),
    pool: "p1",
    concurrency: 4,
    leaseMs: 60_000,
    logger,
    settle: (_job, err) => ({ status: "failed", result: null, endReason: String(err) }),
    ...options,
  });
  cleanups.push(() => w.close());
  return w;
}

async function submit(book: JobBook, key: string): Promise<BookJob> {
  const outcome = await book.submit({
    key,
    pool: "p1",
    about: { label: "rendering", typical: "usually 10-60 s" },
    payload: {},
    request: {},
    reuseWindowMs: 600_000,
  });
  if ("busy" in outcome) throw new Error("unexpectedly busy");
  return outcome.job;
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("a worker frozen past its lease", () => {
  it("sends nothing once another worker took its job: the job's paid request goes out once", async () => {
    const [bookA, bookB] = await books();
    const sends: string[] = [];
    const claimedByA = deferred<JobContext>();
    const thawA = deferred();
    const aOutcome = deferred<string>();
    // A takes the job and stops before sending, its lease lapsing (a process stopped by SIGSTOP renews nothing).
    const a = worker(bookA, {
      leaseMs: 1,
      work: async (_job, ctx) => {
        claimedByA.resolve(ctx);
        await thawA.promise;
        try {
          await ctx.markSent();
          sends.push("A");
          aOutcome.resolve("sent");
        } catch (err) {
          aOutcome.resolve(`refused: ${(err as Error).message}`);
          throw err;
        }
      },
    });
    const job = await submit(bookA, "frozen");
    a.start();
    await claimedByA.promise;
    // B finds the lapsed lease, puts the unsent job back in the queue, takes it and sends it.
    const bSent = deferred();
    const b = worker(bookB, {
      work: async (_job, ctx) => {
        await ctx.markSent();
        sends.push("B");
        bSent.resolve();
        return { ok: true };
      },
    });
    await expect
      .poll(
        async () => {
          await bookB.reap();
          return (await bookB.get(job.id))?.status;
        },
        { timeout: 10_000 },
      )
      .toBe("queued");
    b.start();
    await bSent.promise;
    thawA.resolve();
    expect(await aOutcome.promise).toMatch(/refused: .*another worker took it/);
    await expect.poll(async () => (await bookB.get(job.id))?.status).toBe("completed");
    expect(sends).toEqual(["B"]);
  });

  it("sends nothing for a job whose caller left before the send, and the job ends cancelled", async () => {
    const [bookA, bookB] = await books();
    const claimed = deferred();
    const go = deferred();
    let sent = false;
    const a = worker(bookA, {
      work: async (_job, ctx) => {
        claimed.resolve();
        await go.promise;
        await ctx.markSent();
        sent = true;
      },
      settle: (_job, _err, abortReason) => ({ status: "cancelled", result: null, endReason: abortReason }),
    });
    const job = await submit(bookA, "left");
    a.start();
    await claimed.promise;
    await bookB.cancel(job.id, "the caller left");
    go.resolve();
    await expect.poll(async () => (await bookB.get(job.id))?.status).toBe("cancelled");
    expect(sent).toBe(false);
    expect((await bookB.get(job.id))?.endReason).toBe("the caller left");
  });
});

describe("how a job that threw is settled", () => {
  it("is told its request was sent when it threw after sending, not the unsent snapshot it was claimed with", async () => {
    const [book] = await books();
    const told = deferred<boolean>();
    const w = worker(book, {
      work: async (_job, ctx) => {
        await ctx.markSent();
        throw new Error("failed after the paid request went out");
      },
      settle: (job, err) => {
        told.resolve(job.sent);
        return { status: "failed", result: null, endReason: String(err) };
      },
    });
    await submit(book, "sent then failed");
    w.start();
    expect(await told.promise).toBe(true);
  });
});

describe("a worker with nothing to do", () => {
  it("calls onIdle after its idle time even when its heartbeat looks at the book more often", async () => {
    const [book] = await books();
    const idle = deferred();
    // The heartbeat looks every 250 ms; the idle time is longer: each look must not start the count again.
    const w = worker(book, { leaseMs: 750, idleMs: 1_000, onIdle: () => idle.resolve(), work: async () => null });
    w.start();
    await idle.promise;
    expect(w.active).toBe(0);
  });
});
