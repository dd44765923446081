// The rolling 24-hour spend behind PIXELWRIGHT_MAX_SPEND_USD. Pure: given the job records and the time, how much was
// spent, how much room is left, and when enough room frees up for a request of a given estimate.
// A record counts its billed cost (from the returned usage) when there is one, else its estimate; attempts that failed
// after the request was sent may have been billed, and count at the estimate too.

export const SPEND_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface SpendRecord {
  /** When the job ended (ms since the epoch). */
  at: number;
  /** The cost from the usage the answer reported; null when no answer reported usage. */
  billedUsd: number | null;
  /** The estimate of one attempt (the whole request), null when unknown. */
  estimateUsd: number | null;
  /** Whether images were delivered (a delivered job without usage counts at its estimate). */
  delivered: boolean;
  /** Attempts that failed after the request was sent (they may have been billed). */
  mayHaveBeenBilled: number;
}

/** What one record adds to the spend. */
export function spendOf(record: SpendRecord): number {
  const estimate = record.estimateUsd ?? 0;
  const delivered = record.billedUsd ?? (record.delivered ? estimate : 0);
  return round4(delivered + record.mayHaveBeenBilled * estimate);
}

export interface SpendWindow {
  limitUsd: number;
  spentUsd: number;
  remainingUsd: number;
  /** When the oldest spending leaves the window so that `needUsd` fits; null when it fits now or never can. */
  roomAt: number | null;
  /** Whether a request of `needUsd` fits now. */
  fits: boolean;
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/** The spending inside the window that ends at `now`, oldest first, and its rounded total. */
function spendingAt(records: readonly SpendRecord[], now: number, windowMs: number) {
  const inside = records
    .filter((r) => r.at <= now && now - r.at < windowMs)
    .map((r) => ({ at: r.at, usd: spendOf(r) }))
    .sort((a, b) => a.at - b.at);
  return { inside, spent: round4(inside.reduce((sum, r) => sum + r.usd, 0)) };
}

const fitsIn = (needUsd: number, remainingUsd: number) => needUsd <= remainingUsd + 1e-9;

export function rollingSpend(
  records: readonly SpendRecord[],
  now: number,
  limitUsd: number,
  needUsd = 0,
  windowMs = SPEND_WINDOW_MS,
): SpendWindow {
  const { inside, spent } = spendingAt(records, now, windowMs);
  const remaining = round4(Math.max(0, limitUsd - spent));
  const fits = fitsIn(needUsd, remaining);
  let roomAt: number | null = null;
  if (!fits && needUsd <= limitUsd) {
    // The first moment an old record leaves and the request fits, judged exactly as a request then would be.
    for (const r of inside) {
      const at = r.at + windowMs;
      const later = spendingAt(records, at, windowMs).spent;
      if (fitsIn(needUsd, round4(Math.max(0, limitUsd - later)))) {
        roomAt = at;
        break;
      }
    }
  }
  return { limitUsd, spentUsd: spent, remainingUsd: remaining, roomAt, fits };
}

function usd(x: number): string {
  return `$${x.toFixed(2)}`;
}

function inWords(ms: number): string {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h > 0 ? `${h} h ${m} min` : `${m} min`;
}

/**
 * What the sentence is about: a request refused before anything was sent, a dry run (nothing is sent either way),
 * or one step of a job that already sent earlier steps (the caller names the step; only it was not sent).
 */
export type SpendSubject = "request" | "dry_run" | "step";

/** The sentence for a request or step the cap refuses (or a dry run shows): spent, remaining and when room frees up. */
export function spendSentence(
  window: SpendWindow,
  needUsd: number,
  now: number,
  subject: SpendSubject = "request",
): string {
  const head = `PIXELWRIGHT_MAX_SPEND_USD allows ${usd(window.limitUsd)} per rolling 24 h: ${usd(window.spentUsd)} spent, ${usd(window.remainingUsd)} remaining`;
  if (window.fits) return `${head}; this request (about ${usd(needUsd)}) fits.`;
  const when =
    window.roomAt === null
      ? `it is above the whole cap, so it can never fit: raise PIXELWRIGHT_MAX_SPEND_USD or ask for less (smaller size, lower quality, fewer images)`
      : `room for it frees up at ${new Date(window.roomAt).toISOString()} (in ${inWords(window.roomAt - now)}), or raise PIXELWRIGHT_MAX_SPEND_USD`;
  if (subject === "step") return `${head}; ${when}.`;
  const outcome = subject === "dry_run" ? "so it would not be sent" : "so nothing was sent";
  return `${head}; this request is estimated at ${usd(needUsd)}, ${outcome}: ${when}.`;
}
