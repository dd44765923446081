// Money guards, kept in the job book so they hold across processes and replicas: the rolling 24 h cap
// (PIXELWRIGHT_MAX_SPEND_USD) reserves every paid step before it is sent — the first attempt when a call is admitted,
// then each retry, each fan-out slot and auto's master as they go out — and the confirmation above a per-call
// threshold (PIXELWRIGHT_CONFIRM_ABOVE_USD), asked of the person whenever the client can ask. Refusals send nothing.
// A step's reservation is released when it is known not billed (an error answer), settled at the billed cost when
// usage comes back, and kept at its estimate when its outcome is unknown. The offline simulator costs nothing and
// never enters the ledger.

import { outputTokens } from "../contract/cost.js";
import { GPT_IMAGE_2_PRICE } from "../contract/models.js";
import { rollingSpend, SPEND_WINDOW_MS, type SpendSubject, spendSentence } from "../contract/spend.js";
import { SpendRefusedError } from "../errors.js";
import type { JobBook } from "../jobs/book.js";
import type { Logger } from "../log.js";

export interface SpendPolicy {
  maxSpendUsd?: number | undefined;
  confirmAboveUsd?: number | undefined;
}

/** Asks the person (MCP elicitation, or an input-required result): accepted, declined, or the client cannot ask. */
export type SpendConfirmer = (message: string) => Promise<"accept" | "decline" | "unsupported">;

/** One paid step, for the ledger: what came of it once it was sent. Each resolves once written (a failed write is logged). */
export interface StepCharge {
  /** Billed: at `usd` when the usage told the cost, else kept at the estimate. */
  billed(usd: number | null): Promise<void>;
  notBilled(): Promise<void>;
  unknown(): Promise<void>;
}

/** Reservations made when a call was admitted (one per parallel call of its first attempt). */
export interface Admission {
  ids: string[];
  /** Frees them (the call was refused, declined, or shared an identical job instead). */
  release(): Promise<void>;
}

const usd = (x: number | null) => (x === null ? "an unknown amount" : `$${x.toFixed(2)}`);
const NO_ADMISSION: Admission = { ids: [], release: async () => {} };

/**
 * What the cap counts for a step whose estimate is unknown (size auto, an unpriced quality): the most one image of
 * the largest size at high quality can cost at the list price, per image. Never zero: unknown is not free.
 */
export function upperBoundUsd(images: number): number {
  return (
    Math.round(images * outputTokens(2880, 2880, "high") * GPT_IMAGE_2_PRICE.imageOutputPerToken * 10_000) / 10_000
  );
}

export class SpendGuard {
  constructor(
    private readonly book: JobBook,
    private readonly policy: SpendPolicy,
    private readonly options: { offline: boolean; logger: Logger },
  ) {}

  private get limit(): number | null {
    return this.policy.maxSpendUsd ?? null;
  }

  /** What a dry run says about the cap, or null without one (or offline, where nothing is spent). */
  async describe(estimateUsd: number | null, images = 1): Promise<string | null> {
    const limit = this.limit;
    if (limit === null || this.options.offline) return null;
    const need = estimateUsd ?? upperBoundUsd(images);
    const entries = await this.book.spending(SPEND_WINDOW_MS);
    const window = rollingSpend(entries.map(asRecord), Date.now(), limit, need);
    return spendSentence(window, need, Date.now(), "dry_run");
  }

  /**
   * Admits a call or refuses it (SpendRefusedError, nothing sent): reserves its first attempt (`parts` entries, one
   * per parallel call), then asks the person when the estimate is above the confirmation threshold.
   */
  async admit(
    estimateUsd: number | null,
    parts: number,
    images: number,
    confirmSpend: boolean,
    confirm?: SpendConfirmer,
  ): Promise<Admission> {
    if (this.options.offline) return NO_ADMISSION;
    const need = estimateUsd ?? upperBoundUsd(images);
    const admission = await this.reserve(null, "attempt 1", need, parts, "request");
    try {
      await this.confirm(estimateUsd, confirmSpend, confirm);
    } catch (err) {
      await admission.release();
      throw err;
    }
    return admission;
  }

  private async reserve(
    jobId: string | null,
    step: string,
    need: number,
    parts: number,
    subject: SpendSubject,
  ): Promise<Admission> {
    const outcome = await this.book.reserve({
      jobId,
      step,
      usd: need,
      limitUsd: this.limit,
      windowMs: SPEND_WINDOW_MS,
      parts,
    });
    if (!outcome.ok) {
      const window = rollingSpend(outcome.entries.map(asRecord), Date.now(), this.limit as number, need);
      throw new SpendRefusedError(spendSentence(window, need, Date.now(), subject));
    }
    const ids = outcome.ids;
    return { ids, release: () => Promise.all(ids.map((id) => this.book.release(id))).then(() => {}) };
  }

  /** Names the job that admitted reservations belong to. */
  assign(admission: Admission, jobId: string): Promise<void> {
    return admission.ids.length ? this.book.assign(admission.ids, jobId) : Promise.resolve();
  }

  /**
   * The charge of one paid step of a job, reserved before it is sent: a first attempt uses the reservation its call
   * was admitted with; any other step (a retry, auto's master) reserves anew and is refused when the cap has no room.
   */
  async step(
    jobId: string,
    what: { step: string; usdPerCall: number | null; images: number; admitted: string | undefined },
  ): Promise<StepCharge> {
    if (this.options.offline) return { billed: async () => {}, notBilled: async () => {}, unknown: async () => {} };
    const need = what.usdPerCall ?? upperBoundUsd(what.images);
    const id =
      what.admitted ??
      (await this.reserve(jobId, what.step, need, 1, "step").then(
        (a) => a.ids[0] as string,
        (err: unknown) => {
          if (!(err instanceof SpendRefusedError)) throw err;
          // Only this step is not sent: the job's earlier steps were, and its result says what came of them.
          throw new SpendRefusedError(
            `the spend cap has no room for ${what.step} (about ${usd(need)}), so ${what.step} was not sent: ${err.message}`,
            { cause: err },
          );
        },
      ));
    const log = (err: unknown) =>
      this.options.logger.error({ err, job: jobId }, "the spend ledger could not be updated");
    return {
      billed: (cost) => (cost === null ? this.book.keep(id) : this.book.settle(id, cost)).catch(log),
      notBilled: () => this.book.release(id).catch(log),
      unknown: () => this.book.keep(id).catch(log),
    };
  }

  /** Releases reservations a job never used (it ended before sending everything it was admitted for). */
  async releaseUnused(ids: readonly string[]): Promise<void> {
    await Promise.all(ids.map((id) => this.book.release(id)));
  }

  /**
   * The person decides when the client can ask; the agent's own confirm_spend stands in for a person only when it
   * cannot (a prompt-injected agent must not approve its own spending).
   */
  private async confirm(estimateUsd: number | null, confirmSpend: boolean, confirm?: SpendConfirmer): Promise<void> {
    const above = this.policy.confirmAboveUsd;
    if (above === undefined) return;
    if (estimateUsd !== null && estimateUsd <= above) return;
    const cost = usd(estimateUsd);
    const message = `This image request is estimated at ${cost}, above the confirmation threshold (PIXELWRIGHT_CONFIRM_ABOVE_USD = $${above.toFixed(2)}). Generate it and pay?`;
    const answer = confirm ? await confirm(message) : "unsupported";
    if (answer === "accept") return;
    if (answer === "decline") {
      throw new SpendRefusedError(`you declined spending ${cost} on this request; nothing was sent.`);
    }
    if (confirmSpend) return;
    throw new SpendRefusedError(
      `this request is estimated at ${cost}, above PIXELWRIGHT_CONFIRM_ABOVE_USD ($${above.toFixed(2)}), and this client cannot ask you to confirm (no MCP elicitation). To proceed, pass confirm_spend: true, or raise PIXELWRIGHT_CONFIRM_ABOVE_USD.`,
    );
  }
}

function asRecord(entry: { at: number; usd: number }) {
  return { at: entry.at, billedUsd: entry.usd, estimateUsd: entry.usd, delivered: true, mayHaveBeenBilled: 0 };
}
