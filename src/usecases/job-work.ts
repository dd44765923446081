// The worker's side of every kind of job in the book, chosen by the kind its payload names: a generate_image job
// ("generate"), a batch sent to the Batch API ("batch"), a look at a sent batch ("batch-collect"). Each kind parses its
// own payload with its schema; a payload of no known kind is the generation's to refuse.

import type { BookJob, JobOutcome } from "../jobs/book.js";
import type { JobContext } from "../jobs/worker.js";

/** What a worker does with the jobs of one kind: run, settle a throw, clean up, and record the lost. */
export interface KindWork {
  run(job: BookJob, ctx: JobContext): Promise<unknown>;
  settle(job: BookJob, err: unknown, abortReason: string | null): JobOutcome | Promise<JobOutcome>;
  /** The job ended here for good (not handed back), as `outcome` says. */
  ended(job: BookJob, outcome?: JobOutcome): Promise<void>;
  /** Cancelled while queued: no worker took it. */
  cancelled(job: BookJob): Promise<void>;
  /** Its worker was lost with its request in flight. */
  lost(job: BookJob): Promise<void>;
}

/** The kind a payload names, or null when it names none. */
export function payloadKind(payload: unknown): string | null {
  const kind = (payload as { kind?: unknown } | null)?.kind;
  return typeof kind === "string" ? kind : null;
}

/** One KindWork over several: each job goes to the work of its kind, or to `otherwise`. */
export function workByKind(kinds: Readonly<Record<string, KindWork>>, otherwise: KindWork): KindWork {
  const of = (job: BookJob) => kinds[payloadKind(job.payload) ?? ""] ?? otherwise;
  return {
    run: (job, ctx) => of(job).run(job, ctx),
    settle: (job, err, abortReason) => of(job).settle(job, err, abortReason),
    ended: (job, outcome) => of(job).ended(job, outcome),
    cancelled: (job) => of(job).cancelled(job),
    lost: (job) => of(job).lost(job),
  };
}
