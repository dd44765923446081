// Money guards before a paid call: the rolling 24 h cap (PIXELWRIGHT_MAX_SPEND_USD), computed from the job records
// in the workspace plus the jobs admitted and still running, and the confirmation above a per-call threshold
// (PIXELWRIGHT_CONFIRM_ABOVE_USD), asked through MCP elicitation when the client supports it. Refusals send nothing.

import { rollingSpend, type SpendRecord, type SpendWindow, spendSentence } from "../contract/spend.js";
import { SpendRefusedError } from "../errors.js";
import type { Workspace } from "../workspace/workspace.js";

export interface SpendPolicy {
  maxSpendUsd?: number | undefined;
  confirmAboveUsd?: number | undefined;
}

/** Asks the person (MCP elicitation): accepted, declined, or the client cannot ask. */
export type SpendConfirmer = (message: string) => Promise<"accept" | "decline" | "unsupported">;

const usd = (x: number | null) => (x === null ? "an unknown amount" : `$${x.toFixed(2)}`);

export class SpendGuard {
  /** Estimates of requests admitted and not finished yet (their records are not written yet). */
  private readonly reserved = new Map<symbol, number>();

  constructor(
    private readonly workspace: Workspace,
    private readonly policy: SpendPolicy,
  ) {}

  /** The cap's window for a request of `needUsd`, or null without a cap. */
  async window(needUsd: number): Promise<SpendWindow | null> {
    const limit = this.policy.maxSpendUsd;
    if (limit === undefined) return null;
    const now = Date.now();
    const records: SpendRecord[] = (await this.workspace.readJobRecords()).map((r) => ({
      at: Date.parse(r.finished_at),
      billedUsd: r.cost_usd,
      estimateUsd: r.cost_estimate_usd,
      delivered: r.status === "completed",
      mayHaveBeenBilled: r.may_have_been_billed,
    }));
    for (const estimate of this.reserved.values()) {
      records.push({ at: now, billedUsd: null, estimateUsd: estimate, delivered: true, mayHaveBeenBilled: 0 });
    }
    return rollingSpend(records, now, limit, needUsd);
  }

  /** What a dry run says about the cap, or null without one. */
  async describe(estimateUsd: number | null): Promise<string | null> {
    const need = estimateUsd ?? 0;
    const window = await this.window(need);
    return window ? spendSentence(window, need, Date.now()) : null;
  }

  /**
   * Admits a request or refuses it (SpendRefusedError, nothing sent). Returns a release function: call it once the
   * job's record is written (or the job never started).
   */
  async admit(estimateUsd: number | null, confirmSpend: boolean, confirm?: SpendConfirmer): Promise<() => void> {
    const need = estimateUsd ?? 0;
    const window = await this.window(need);
    // No await between the check and the reservation: concurrent requests see each other.
    if (window && !window.fits) throw new SpendRefusedError(spendSentence(window, need, Date.now()));
    const token = Symbol("reservation");
    this.reserved.set(token, need);
    const release = () => void this.reserved.delete(token);
    try {
      await this.confirm(estimateUsd, confirmSpend, confirm);
    } catch (err) {
      release();
      throw err;
    }
    return release;
  }

  private async confirm(estimateUsd: number | null, confirmSpend: boolean, confirm?: SpendConfirmer): Promise<void> {
    const above = this.policy.confirmAboveUsd;
    if (above === undefined || confirmSpend) return;
    if (estimateUsd !== null && estimateUsd <= above) return;
    const cost = usd(estimateUsd);
    const message = `This image request is estimated at ${cost}, above the confirmation threshold (PIXELWRIGHT_CONFIRM_ABOVE_USD = $${above.toFixed(2)}). Generate it and pay?`;
    const answer = confirm ? await confirm(message) : "unsupported";
    if (answer === "accept") return;
    if (answer === "decline") {
      throw new SpendRefusedError(`you declined spending ${cost} on this request; nothing was sent.`);
    }
    throw new SpendRefusedError(
      `this request is estimated at ${cost}, above PIXELWRIGHT_CONFIRM_ABOVE_USD ($${above.toFixed(2)}), and this client cannot ask you to confirm (no MCP elicitation). To proceed, pass confirm_spend: true, or raise PIXELWRIGHT_CONFIRM_ABOVE_USD.`,
    );
  }
}
