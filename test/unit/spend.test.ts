import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rollingSpend, SPEND_WINDOW_MS, type SpendRecord, spendOf, spendSentence } from "../../src/contract/spend.js";

const H = 60 * 60 * 1000;
const now = Date.UTC(2026, 10, 22, 12);
const job = (hoursAgo: number, fields: Partial<SpendRecord> = {}): SpendRecord => ({
  at: now - hoursAgo * H,
  billedUsd: null,
  estimateUsd: 0.4,
  delivered: true,
  mayHaveBeenBilled: 0,
  ...fields,
});

describe("the rolling 24 h spend", () => {
  it("counts billed cost, else the estimate, and failed attempts that may have been billed", () => {
    expect(spendOf(job(1, { billedUsd: 0.21 }))).toBe(0.21);
    expect(spendOf(job(1))).toBe(0.4);
    expect(spendOf(job(1, { delivered: false, mayHaveBeenBilled: 2 }))).toBe(0.8);
    expect(spendOf(job(1, { delivered: false }))).toBe(0);
    expect(spendOf(job(1, { billedUsd: 0.2, mayHaveBeenBilled: 1 }))).toBe(0.6);
  });

  it("leaves out what is older than 24 h and says when room frees up", () => {
    const records = [job(25, { billedUsd: 5 }), job(20, { billedUsd: 0.5 }), job(2, { billedUsd: 0.4 })];
    const w = rollingSpend(records, now, 1, 0.4);
    expect(w).toMatchObject({ spentUsd: 0.9, remainingUsd: 0.1, fits: false });
    expect(w.roomAt).toBe(now - 20 * H + SPEND_WINDOW_MS);
    expect(spendSentence(w, 0.4, now)).toMatch(/\$0\.90 spent, \$0\.10 remaining.*frees up at .* \(in 4 h 0 min\)/);
  });

  it("says a request above the whole cap can never fit", () => {
    const w = rollingSpend([], now, 1, 2);
    expect(w).toMatchObject({ fits: false, roomAt: null });
    expect(spendSentence(w, 2, now)).toMatch(/can never fit/);
  });

  it("frees room exactly when enough old spending has left the window (property)", () => {
    const record = fc.record({
      hoursAgo: fc.double({ min: 0, max: 30, noNaN: true }),
      usd: fc.double({ min: 0, max: 2, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 20 }), fc.double({ min: 0.01, max: 3, noNaN: true }), (rs, need) => {
        const records = rs.map((r) => job(r.hoursAgo, { billedUsd: Math.round(r.usd * 100) / 100 }));
        const limit = 3;
        const w = rollingSpend(records, now, limit, need);
        if (w.fits || w.roomAt === null) return;
        expect(rollingSpend(records, w.roomAt, limit, need).fits).toBe(true);
        expect(rollingSpend(records, w.roomAt - 1, limit, need).fits).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});
