// The spend ledger and the runner lease of the SQLite job book: reservations checked against the cap and made in
// one write transaction, so two processes reserving at once never both take the last of the room.

import { randomBytes } from "node:crypto";
import { type ReserveOutcome, type ReserveRequest, type SpendEntry, workerGone } from "./book.js";
import type { Db } from "./sqlite-db.js";

export class SqliteLedger {
  constructor(private readonly db: Db) {}

  private spendingSince(since: number): SpendEntry[] {
    return this.db
      .all<{ at: number; usd: number }>(
        "SELECT created_at AS at, usd FROM ledger WHERE created_at > ? AND state != 'released' ORDER BY created_at",
        since,
      )
      .map((r) => ({ at: Number(r.at), usd: Number(r.usd) }));
  }

  reserve(request: ReserveRequest): ReserveOutcome {
    return this.db.write(() => {
      const now = Date.now();
      if (request.limitUsd !== null) {
        const entries = this.spendingSince(now - request.windowMs);
        const spent = entries.reduce((sum, e) => sum + e.usd, 0);
        if (spent + request.usd > request.limitUsd + 1e-9) return { ok: false as const, entries };
      }
      const parts = Math.max(1, request.parts ?? 1);
      const ids: string[] = [];
      for (let part = 0; part < parts; part++) {
        const id = `rsv_${randomBytes(12).toString("hex")}`;
        const step = parts > 1 ? `${request.step} (${part + 1} of ${parts})` : request.step;
        this.db.run(
          "INSERT INTO ledger (id, job_id, step, usd, state, created_at, updated_at) VALUES (?, ?, ?, ?, 'reserved', ?, ?)",
          id,
          request.jobId,
          step,
          request.usd / parts,
          now,
          now,
        );
        ids.push(id);
      }
      return { ok: true as const, ids };
    });
  }

  /** A reserved entry becomes settled (at `usd`), released or kept; an entry no longer reserved is left alone. */
  setEntry(id: string, state: "settled" | "released" | "kept", usd?: number): void {
    this.db.write(() => {
      if (usd === undefined) {
        this.db.run(
          "UPDATE ledger SET state = ?, updated_at = ? WHERE id = ? AND state = 'reserved'",
          state,
          Date.now(),
          id,
        );
      } else {
        this.db.run(
          "UPDATE ledger SET state = ?, usd = ?, updated_at = ? WHERE id = ? AND state = 'reserved'",
          state,
          usd,
          Date.now(),
          id,
        );
      }
    });
  }

  assign(ids: string[], jobId: string): void {
    this.db.write(() => {
      for (const id of ids) this.db.run("UPDATE ledger SET job_id = ? WHERE id = ?", jobId, id);
    });
  }

  spending(windowMs: number): SpendEntry[] {
    return this.spendingSince(Date.now() - windowMs);
  }

  importSpending(entries: SpendEntry[]): void {
    this.db.write(() => {
      if (this.db.get("SELECT v FROM meta WHERE k = 'imported_spending'")) return;
      for (const entry of entries) {
        this.db.run(
          "INSERT INTO ledger (id, job_id, step, usd, state, created_at, updated_at) VALUES (?, NULL, 'before the job book', ?, 'settled', ?, ?)",
          `imp_${randomBytes(12).toString("hex")}`,
          entry.usd,
          entry.at,
          entry.at,
        );
      }
      this.db.run("INSERT INTO meta (k, v) VALUES ('imported_spending', ?)", String(Date.now()));
    });
  }

  runnerAlive(pool: string): boolean {
    const row = this.db.get<{ owner: string; lease_until: number }>(
      "SELECT owner, lease_until FROM runners WHERE pool = ?",
      pool,
    );
    return row !== undefined && Number(row.lease_until) > Date.now() && !workerGone(row.owner);
  }

  leaseRunner(pool: string, owner: string, leaseMs: number): boolean {
    return this.db.write(() => {
      const row = this.db.get<{ owner: string; lease_until: number }>(
        "SELECT owner, lease_until FROM runners WHERE pool = ?",
        pool,
      );
      const now = Date.now();
      const held = row !== undefined && row.owner !== owner && Number(row.lease_until) > now && !workerGone(row.owner);
      if (held) return false;
      this.db.run(
        "INSERT INTO runners (pool, owner, lease_until) VALUES (?, ?, ?) ON CONFLICT(pool) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until",
        pool,
        owner,
        now + leaseMs,
      );
      return true;
    });
  }

  releaseRunner(pool: string, owner: string): void {
    this.db.write(() => this.db.run("DELETE FROM runners WHERE pool = ? AND owner = ?", pool, owner));
  }
}
