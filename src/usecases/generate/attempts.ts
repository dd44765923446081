// What a generation job learns about its paid attempts, across every run of its strategy (native, then auto's
// master): the retries, the request ids, and what came of each sent attempt as the spend ledger was told it. One log
// per job, so its result cannot say "not billed" while its retries or the ledger say an attempt may have been, and a
// step the spend cap refused is never listed as made.

import type { RetryRecord } from "../../contract/schemas.js";
import type { StepOutcome } from "../../upstream/types.js";

/** Where a run started in the log, to count what that run alone sent (its own line in jobs.jsonl). */
export interface AttemptMark {
  sent: number;
  billed: number;
  unknown: number;
}

export class AttemptLog {
  /** When the job's first run began: a result's elapsed_ms counts every run. */
  readonly startedAt = Date.now();
  /** Every sent attempt that failed and was followed by another step (a retry, auto's master), oldest first. */
  readonly retries: RetryRecord[] = [];
  readonly requestIds: string[] = [];
  /** Attempts sent (each reserved in the ledger before it went out). */
  sent = 0;
  /** Sent attempts answered with a billed answer (whatever came of their images). */
  billed = 0;
  /** Sent attempts whose outcome is unknown (no complete answer): the ledger keeps them at their estimate. */
  unknown = 0;
  /** Attempts of earlier runs: a later run's retries are numbered after them. */
  private offset = 0;
  /** Records whose next step the cap refused: amended once. */
  private readonly refusedRecords = new Set<RetryRecord>();

  /** A run begins: its retries number on from every attempt already sent. */
  startRun(): AttemptMark {
    this.offset = this.sent;
    return { sent: this.sent, billed: this.billed, unknown: this.unknown };
  }

  retry(record: RetryRecord): void {
    this.retries.push({ ...record, attempt: record.attempt + this.offset });
  }

  /** What came of one sent attempt, exactly as the ledger was told. */
  settled(outcome: StepOutcome): void {
    if (outcome.billed === "yes") this.billed++;
    else if (outcome.billed === "unknown") this.unknown++;
  }

  /** Sent attempts that may have been billed: every one the ledger keeps. */
  get mayHaveBeenBilled(): number {
    return this.billed + this.unknown;
  }

  /**
   * The last attempt of a run failed and another run answers it (auto's master): recorded like a retry, so every
   * sent attempt that failed is in the list. It may have been billed when the ledger keeps an attempt no record names.
   */
  fellBack(reason: string, requestId: string | null): void {
    const named = this.retries.filter((r) => r.may_have_been_billed).length;
    this.retries.push({
      attempt: this.sent,
      reason,
      request_id: requestId,
      delay_ms: 0,
      may_have_been_billed: this.mayHaveBeenBilled > named,
    });
  }

  /**
   * The spend cap refused the step that follows a failed attempt (`attempt`: that step's number within its run, 0
   * for a run's first): the failed attempt's record stays (it may have been billed) and says its step was not sent.
   */
  refused(attempt: number, step: string): void {
    const key = attempt + this.offset;
    const record = this.retries.findLast((r) => r.attempt === key && !this.refusedRecords.has(r));
    if (!record) return;
    this.refusedRecords.add(record);
    record.reason = `${record.reason}; ${step} was not sent: the spend cap (PIXELWRIGHT_MAX_SPEND_USD) has no room for it`;
  }

  /** What every attempt of a failed job adds up to, in one sentence: sent or not, and whether any may be billed. */
  summary(): string {
    const billed = this.mayHaveBeenBilled;
    if (billed > 0) {
      const of = this.sent > billed ? ` of ${this.sent}` : "";
      // Where they are listed: a retried one in retries, the last one in failure.
      const named = this.retries.filter((r) => r.may_have_been_billed).length;
      const where = named === 0 ? "failure" : named < billed ? "retries and failure" : "retries";
      return `${billed}${of} sent attempt${this.sent > 1 ? "s" : ""} may have been billed (see ${where}).`;
    }
    if (this.sent === 0) return "Nothing was sent.";
    return "Nothing was billed: every attempt sent was answered with an error.";
  }

  /** What a run sent since its mark: its attempts, and of those the ones that may have been billed. */
  since(mark: AttemptMark, countBilled: boolean): { attempts: number; mayHaveBeenBilled: number } {
    const unknown = this.unknown - mark.unknown;
    const billed = countBilled ? this.billed - mark.billed : 0;
    return { attempts: this.sent - mark.sent, mayHaveBeenBilled: unknown + billed };
  }
}
