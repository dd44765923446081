// The job book's contract, one suite for every implementation (SQLite in the workspace, Redis for replicas): what
// submit, claim, the lease, cancel, reap, finish and the spend ledger must do, seen from two processes at once (two
// connections to one store stand for two processes; test/e2e/jobs.test.ts and test/money/ race real processes).

import { hostname } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { type BookJob, isReusable, JOB_ID, type JobBook, workerName } from "../../src/jobs/book.js";

export interface BookFactory {
  /** A new, empty store and a first connection to it. */
  open(): Promise<JobBook>;
  /** Another connection to the store last opened: another process sharing it. */
  another(): Promise<JobBook>;
  cleanup(): Promise<void>;
}

const DAY = 24 * 60 * 60 * 1000;
const about = { label: "rendering 1024x1024 high", typical: "usually 10-60 s" };
const LEASE = 60_000;

function submission(key: string | null, extra: Record<string, unknown> = {}) {
  return {
    key,
    pool: "p1",
    about,
    payload: { args: { prompt: "x" } },
    request: { model: "m" },
    reuseWindowMs: 600_000,
    ...extra,
  };
}

async function submitted(book: JobBook, key: string | null, extra: Record<string, unknown> = {}): Promise<BookJob> {
  const outcome = await book.submit(submission(key, extra));
  if ("busy" in outcome) throw new Error("unexpectedly busy");
  return outcome.job;
}

/** Resolves with the first change of the job seen by `book` that satisfies `test`. */
function change(book: JobBook, id: string, test: (job: BookJob) => boolean): Promise<BookJob> {
  return new Promise((resolve) => {
    const stop = book.watch(id, (job) => {
      if (!test(job)) return;
      stop();
      resolve(job);
    });
  });
}

export function describeJobBook(name: string, factory: BookFactory): void {
  describe(`the job book (${name})`, () => {
    const open: JobBook[] = [];
    const first = async () => {
      const book = await factory.open();
      open.push(book);
      return book;
    };
    const second = async () => {
      const book = await factory.another();
      open.push(book);
      return book;
    };
    afterEach(async () => {
      for (const book of open.splice(0).reverse()) await book.close();
      await factory.cleanup();
    });
    const me = workerName(hostname(), process.pid);

    describe("submit", () => {
      it("makes a queued job with a 128-bit id, its payload and request kept as given", async () => {
        const book = await first();
        const job = await submitted(book, "k1");
        expect(job.id).toMatch(JOB_ID);
        expect(job.id).toHaveLength(4 + 32);
        expect(job).toMatchObject({ status: "queued", key: "k1", pool: "p1", sent: false, lost: false });
        expect(await book.get(job.id)).toMatchObject({ payload: { args: { prompt: "x" } }, request: { model: "m" } });
      });

      it("returns the live job for an identical request, in another process too, and a new one with fresh", async () => {
        const a = await first();
        const b = await second();
        const job = await submitted(a, "same");
        const again = await b.submit(submission("same"));
        expect(again).toEqual({ job: expect.objectContaining({ id: job.id }), reused: true });
        const fresh = await b.submit(submission("same", { fresh: true }));
        expect("job" in fresh && fresh.job.id).not.toBe(job.id);
      });

      it("makes one job when two processes submit the same request at the same moment", async () => {
        const a = await first();
        const b = await second();
        const outcomes = await Promise.all(
          Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).submit(submission("race"))),
        );
        const ids = new Set(outcomes.map((o) => ("job" in o ? o.job.id : "busy")));
        expect(ids.size).toBe(1);
        expect(outcomes.filter((o) => "job" in o && !o.reused)).toHaveLength(1);
      });

      it("answers busy, making no job, when the book holds maxActive live jobs", async () => {
        const book = await first();
        await submitted(book, "a", { maxActive: 2 });
        await submitted(book, "b", { maxActive: 2 });
        expect(await book.submit(submission("c", { maxActive: 2 }))).toEqual({ busy: 2 });
        expect(await book.active()).toBe(2);
      });
    });

    describe("which finished jobs answer identical requests", () => {
      const job = (over: Partial<BookJob>) =>
        ({ status: "completed", finishedAt: 1000, lost: false, ...over }) as BookJob;
      it.each([
        ["a completed job within the window", job({}), 1500, true],
        ["a completed job past the window", job({}), 3000, false],
        ["a failed job (nothing to pay twice for)", job({ status: "failed" }), 1500, false],
        ["a lost job within the window (may have been billed)", job({ status: "failed", lost: true }), 1500, true],
        ["a cancelled job", job({ status: "cancelled" }), 1500, false],
        ["a queued job", job({ status: "queued", finishedAt: null }), 99_999, true],
      ])("%s: %s", (_label, candidate, now, reusable) => {
        expect(isReusable(candidate, now, 1000)).toBe(reusable);
      });
    });

    describe("claim, lease and finish", () => {
      it("takes the oldest queued job of its pool only, and at most `limit` running in the whole book", async () => {
        const a = await first();
        const b = await second();
        const older = await submitted(a, "1");
        await submitted(a, "2");
        await submitted(a, "other", { pool: "p2" });
        const claimed = await b.claim(me, "p1", 1, LEASE);
        expect(claimed).toMatchObject({ id: older.id, status: "running", worker: me });
        expect(claimed?.leaseUntil).toBeGreaterThan(Date.now());
        expect(await a.claim(me, "p1", 1, LEASE)).toBeNull();
        expect((await a.claim(me, "p1", 2, LEASE))?.key).toBe("2");
        expect(await a.claim(me, "p1", 5, LEASE)).toBeNull();
      });

      it("lets only its worker report progress and finish it, and tells watchers in other processes", async () => {
        const a = await first();
        const b = await second();
        const job = await submitted(a, "w");
        await a.claim(me, "p1", 4, LEASE);
        const seen = change(b, job.id, (j) => j.progress.message === "partial 1");
        await a.progress(job.id, me, { progress: 1, message: "partial 1", partial: { index: 0, path: "/p.png" } });
        expect((await seen).partials).toEqual([{ index: 0, path: "/p.png" }]);
        expect(await b.finish(job.id, "someone-else:1:00", { status: "completed", result: 1, endReason: null })).toBe(
          false,
        );
        const done = change(b, job.id, (j) => j.status === "completed");
        expect(await a.finish(job.id, me, { status: "completed", result: { ok: true }, endReason: null })).toBe(true);
        expect(await done).toMatchObject({ result: { ok: true }, finishedAt: expect.any(Number) });
      });

      it("hands an unsent job back to the queue when its worker stops, and never a sent one", async () => {
        const book = await first();
        const unsent = await submitted(book, "u");
        const sent = await submitted(book, "s");
        await book.claim(me, "p1", 4, LEASE);
        await book.claim(me, "p1", 4, LEASE);
        await book.markSent(sent.id, me);
        await book.handBack(unsent.id, me);
        await book.handBack(sent.id, me);
        expect((await book.get(unsent.id))?.status).toBe("queued");
        expect((await book.get(sent.id))?.status).toBe("running");
      });
    });

    describe("jobs that hold no slot (a look at a sent batch)", () => {
      const noSlot = { holdsSlot: false };

      it("is taken while every slot is in use, ahead of the slot-holding jobs waiting for one", async () => {
        const a = await first();
        const b = await second();
        const generating = await submitted(a, "gen-1");
        expect(await a.claim(me, "p1", 1, LEASE)).toMatchObject({ id: generating.id, holdsSlot: true });
        const waiting = await submitted(a, "gen-2");
        const look = await submitted(a, "look", noSlot);
        expect(look.holdsSlot).toBe(false);
        expect(await b.claim(me, "p1", 1, LEASE)).toMatchObject({ id: look.id, status: "running" });
        expect(await b.claim(me, "p1", 1, LEASE)).toBeNull();
        await a.finish(generating.id, me, { status: "completed", result: null, endReason: null });
        expect((await b.claim(me, "p1", 1, LEASE))?.id).toBe(waiting.id);
      });

      it("is not counted by the concurrency limit, the busy cap or maxActive", async () => {
        const book = await first();
        await submitted(book, "look-1", noSlot);
        await submitted(book, "look-2", noSlot);
        await book.claim(me, "p1", 1, LEASE);
        await submitted(book, "gen-1", { maxActive: 2 });
        expect(await book.claim(me, "p1", 1, LEASE)).toMatchObject({ key: "look-2" });
        expect((await book.claim(me, "p1", 1, LEASE))?.key).toBe("gen-1");
        await submitted(book, "gen-2", { maxActive: 2 });
        expect(await book.running()).toBe(1);
        expect(await book.active()).toBe(2);
        expect(await book.submit(submission("gen-3", { maxActive: 2 }))).toEqual({ busy: 2 });
      });

      it("stays out of the counts when it is handed back, reaped, cancelled or finished", async () => {
        const a = await first();
        const b = await second();
        const look = await submitted(a, "look", noSlot);
        await a.claim(me, "p1", 1, 1);
        await a.handBack(look.id, me);
        expect(await a.get(look.id)).toMatchObject({ status: "queued", holdsSlot: false });
        await a.claim(me, "p1", 1, 1);
        const reaped = async () => {
          await b.reap();
          return (await b.get(look.id))?.status;
        };
        await expect.poll(reaped, { timeout: 5000 }).toBe("queued");
        expect(await b.claim(me, "p1", 0, LEASE)).toMatchObject({ id: look.id, status: "running" });
        expect([await b.running(), await b.active()]).toEqual([0, 0]);
        await b.finish(look.id, me, { status: "completed", result: null, endReason: null });
        const again = await submitted(b, "look-again", noSlot);
        expect(await a.cancel(again.id, "the caller left")).toMatchObject({ status: "cancelled" });
        expect(await a.claim(me, "p1", 0, LEASE)).toBeNull();
        expect([await a.running(), await a.active()]).toEqual([0, 0]);
      });
    });

    describe("cancel", () => {
      it("cancels a queued job at once", async () => {
        const book = await first();
        const job = await submitted(book, "c1");
        expect(await book.cancel(job.id, "the caller left")).toMatchObject({
          status: "cancelled",
          endReason: "the caller left",
        });
      });

      it("asks the worker of a running unsent job to stop it", async () => {
        const a = await first();
        const b = await second();
        const job = await submitted(a, "c2");
        await a.claim(me, "p1", 4, LEASE);
        const asked = change(a, job.id, (j) => j.cancelRequested !== null);
        await b.cancel(job.id, "the task was cancelled");
        expect(await asked).toMatchObject({ status: "running", cancelRequested: "the task was cancelled" });
      });

      it("leaves a job whose paid request was sent running (it detaches)", async () => {
        const book = await first();
        const job = await submitted(book, "c3");
        await book.claim(me, "p1", 4, LEASE);
        await book.markSent(job.id, me);
        expect(await book.cancel(job.id, "gone")).toMatchObject({ status: "running", cancelRequested: null });
      });
    });

    describe("clearing a paid request to go out (markSent)", () => {
      it("clears the worker that runs the job, and again for its later steps", async () => {
        const book = await first();
        const job = await submitted(book, "ms1");
        await book.claim(me, "p1", 4, LEASE);
        expect(await book.markSent(job.id, me)).toBe("sent");
        expect(await book.markSent(job.id, me)).toBe("sent");
        expect(await book.get(job.id)).toMatchObject({ sent: true });
      });

      it("refuses a frozen worker whose job another worker took after its lease lapsed: one job is never paid twice", async () => {
        const a = await first();
        const b = await second();
        const frozen = workerName(hostname(), process.pid); // alive, but past its lease
        const job = await submitted(a, "ms2");
        await a.claim(frozen, "p1", 4, 1);
        await expect
          .poll(
            async () => {
              await b.reap();
              return (await b.get(job.id))?.status;
            },
            { timeout: 5000 },
          )
          .toBe("queued");
        await b.claim(me, "p1", 4, LEASE);
        expect(await a.markSent(job.id, frozen)).toBe("taken");
        expect(await b.markSent(job.id, me)).toBe("sent");
        expect(await b.get(job.id)).toMatchObject({ worker: me, sent: true, status: "running" });
      });

      it("refuses a job whose caller asked to cancel it before anything was sent, atomically with the cancel", async () => {
        const a = await first();
        const b = await second();
        const job = await submitted(a, "ms3");
        await a.claim(me, "p1", 4, LEASE);
        await b.cancel(job.id, "the caller left");
        expect(await a.markSent(job.id, me)).toBe("cancelled");
        expect(await a.get(job.id)).toMatchObject({ sent: false });
      });

      it("refuses a job that is not running", async () => {
        const book = await first();
        const job = await submitted(book, "ms4");
        expect(await book.markSent(job.id, me)).toBe("taken");
      });
    });

    describe("reap", () => {
      it("puts an unsent job of a lapsed lease back in the queue, and fails a sent one as lost, once", async () => {
        const a = await first();
        const b = await second();
        const unsent = await submitted(a, "r1");
        const sent = await submitted(a, "r2");
        await a.claim(me, "p1", 4, 1);
        await a.claim(me, "p1", 4, 1);
        await a.markSent(sent.id, me);
        await expect.poll(async () => (await b.reap()).map((j) => j.id), { timeout: 5000 }).toEqual([sent.id]);
        expect(await a.reap()).toEqual([]);
        expect(await a.get(unsent.id)).toMatchObject({ status: "queued", worker: null });
        expect(await a.get(sent.id)).toMatchObject({ status: "failed", lost: true, sent: true });
      });

      it("reaps at once the jobs of a process of this host that is gone", async () => {
        const book = await first();
        const job = await submitted(book, "dead");
        const ghost = workerName(hostname(), 2 ** 22 + 12345); // a pid no process has
        await book.claim(ghost, "p1", 4, LEASE);
        await book.markSent(job.id, ghost);
        expect((await book.reap()).map((j) => j.id)).toEqual([job.id]);
      });

      it("lets a lost job's worker complete it late, and the completion wins", async () => {
        const book = await first();
        const job = await submitted(book, "late");
        await book.claim(me, "p1", 4, 1);
        await book.markSent(job.id, me);
        await expect.poll(async () => (await book.reap()).length, { timeout: 5000 }).toBe(1);
        expect(await book.finish(job.id, me, { status: "failed", result: null, endReason: "x" })).toBe(false);
        expect(await book.finish(job.id, me, { status: "completed", result: { late: true }, endReason: null })).toBe(
          true,
        );
        expect(await book.get(job.id)).toMatchObject({ status: "completed", lost: false, result: { late: true } });
      });

      it("keeps a renewed lease alive", async () => {
        const book = await first();
        const job = await submitted(book, "renew");
        const claimed = await book.claim(me, "p1", 4, 2000);
        await book.markSent(job.id, me);
        await book.renew(me, [job.id], LEASE);
        expect((await book.get(job.id))?.leaseUntil).toBeGreaterThan((claimed?.leaseUntil ?? 0) + 10_000);
        expect(await book.reap()).toEqual([]);
      });
    });

    describe("the spend ledger", () => {
      const reserve = (book: JobBook, usd: number, limitUsd: number | null, parts = 1) =>
        book.reserve({ jobId: null, step: "attempt 1", usd, limitUsd, windowMs: DAY, parts });

      it("reserves what fits under the cap and refuses what does not, with the spending that counts", async () => {
        const book = await first();
        expect(await reserve(book, 0.4, 1)).toMatchObject({ ok: true });
        expect(await reserve(book, 0.4, 1)).toMatchObject({ ok: true });
        const refused = await reserve(book, 0.4, 1);
        expect(refused).toEqual({
          ok: false,
          entries: [expect.objectContaining({ usd: 0.4 }), expect.objectContaining({ usd: 0.4 })],
        });
      });

      it("lets at most the cap's room through when two processes reserve at once", async () => {
        const a = await first();
        const b = await second();
        const outcomes = await Promise.all(Array.from({ length: 12 }, (_, i) => reserve(i % 2 ? a : b, 0.4, 1.2)));
        expect(outcomes.filter((o) => o.ok)).toHaveLength(3);
      });

      it("frees the room of a released step, counts a settled step at its billed cost, and a kept one at its estimate", async () => {
        const book = await first();
        const [r1, r2, r3] = await Promise.all([
          reserve(book, 0.4, null),
          reserve(book, 0.4, null),
          reserve(book, 0.4, null),
        ]);
        if (!r1?.ok || !r2?.ok || !r3?.ok) throw new Error("reservations failed");
        await book.release(r1.ids[0] as string);
        await book.settle(r2.ids[0] as string, 0.21);
        await book.keep(r3.ids[0] as string);
        const spent = (await book.spending(DAY)).map((e) => e.usd).sort();
        expect(spent).toEqual([0.21, 0.4]);
      });

      it("makes one entry per part, all or none", async () => {
        const book = await first();
        const outcome = await reserve(book, 0.9, 1, 3);
        expect(outcome.ok && outcome.ids).toHaveLength(3);
        expect((await book.spending(DAY)).map((e) => e.usd)).toEqual([0.3, 0.3, 0.3]);
        expect((await reserve(book, 0.3, 1, 3)).ok).toBe(false);
      });

      it("imports spending from before the book once, and counts only what is inside the window", async () => {
        const book = await first();
        const now = Date.now();
        await book.importSpending([
          { at: now - 2 * DAY, usd: 5 },
          { at: now - 60_000, usd: 0.25 },
        ]);
        await book.importSpending([{ at: now - 1000, usd: 9 }]);
        expect((await book.spending(DAY)).map((e) => e.usd)).toEqual([0.25]);
      });
    });

    describe("the runner lease", () => {
      it("is held by one runner per pool at a time", async () => {
        const a = await first();
        const b = await second();
        const other = workerName(hostname(), process.pid);
        expect(await a.runnerAlive("p1")).toBe(false);
        expect(await a.leaseRunner("p1", me, LEASE)).toBe(true);
        expect(await b.leaseRunner("p1", other, LEASE)).toBe(false);
        expect(await b.leaseRunner("p2", other, LEASE)).toBe(true);
        expect(await b.runnerAlive("p1")).toBe(true);
        await a.releaseRunner("p1", me);
        expect(await b.leaseRunner("p1", other, LEASE)).toBe(true);
      });

      it("is free again when its runner's process is gone", async () => {
        const book = await first();
        const ghost = workerName(hostname(), 2 ** 22 + 12345);
        expect(await book.leaseRunner("p1", ghost, LEASE)).toBe(true);
        expect(await book.runnerAlive("p1")).toBe(false);
        expect(await book.leaseRunner("p1", me, LEASE)).toBe(true);
      });
    });
  });
}
