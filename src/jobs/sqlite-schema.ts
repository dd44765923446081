// The job book's tables in SQLite, and a row as the book's plain job. Versioned by `user_version`: SCHEMA is version
// 0, and each entry of MIGRATIONS takes the database one version further (a newer schema adds its statements after
// the last one; a database made by an older version is brought forward when it is opened).

import type { BookJob, JobStatus } from "./book.js";

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT);
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  key TEXT,
  pool TEXT NOT NULL,
  status TEXT NOT NULL,
  label TEXT NOT NULL,
  typical TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  updated_at INTEGER NOT NULL,
  progress TEXT NOT NULL,
  partials TEXT NOT NULL DEFAULT '[]',
  payload TEXT NOT NULL,
  request TEXT,
  result TEXT,
  end_reason TEXT,
  sent INTEGER NOT NULL DEFAULT 0,
  lost INTEGER NOT NULL DEFAULT 0,
  slot_wait INTEGER NOT NULL DEFAULT 0,
  worker TEXT,
  lease_until INTEGER,
  attachments INTEGER NOT NULL DEFAULT 0,
  cancel_requested TEXT,
  version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_by_key ON jobs (key, created_at);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, pool, created_at);
CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs (created_at);
CREATE TABLE IF NOT EXISTS ledger (
  id TEXT PRIMARY KEY,
  job_id TEXT,
  step TEXT NOT NULL,
  usd REAL NOT NULL,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_by_created ON ledger (created_at);
CREATE TABLE IF NOT EXISTS runners (
  pool TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  lease_until INTEGER NOT NULL
);
`;

/** The steps after SCHEMA, in order: MIGRATIONS[n] takes a database at user_version n to n + 1. */
export const MIGRATIONS: readonly string[] = [
  // 1: jobs that take no upstream slot (a look at a sent batch): not counted by the concurrency limit or busy cap.
  "ALTER TABLE jobs ADD COLUMN holds_slot INTEGER NOT NULL DEFAULT 1",
];

export interface JobRow {
  id: string;
  key: string | null;
  pool: string;
  status: string;
  label: string;
  typical: string;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
  progress: string;
  partials: string;
  payload: string;
  request: string | null;
  result: string | null;
  end_reason: string | null;
  sent: number;
  lost: number;
  slot_wait: number;
  /** Absent in a Redis hash written before the field existed: such a job holds a slot. */
  holds_slot?: number | string | null;
  worker: string | null;
  lease_until: number | null;
  attachments: number;
  cancel_requested: string | null;
  version: number;
}

const json = (text: string | null): unknown => (text === null ? null : JSON.parse(text));
const num = (x: number | bigint | null): number | null => (x === null ? null : Number(x));

export function rowToJob(row: JobRow): BookJob {
  return {
    id: row.id,
    key: row.key,
    pool: row.pool,
    label: row.label,
    typical: row.typical,
    status: row.status as JobStatus,
    createdAt: Number(row.created_at),
    startedAt: num(row.started_at),
    finishedAt: num(row.finished_at),
    updatedAt: Number(row.updated_at),
    progress: JSON.parse(row.progress),
    partials: JSON.parse(row.partials),
    payload: json(row.payload),
    request: json(row.request),
    result: json(row.result),
    endReason: row.end_reason,
    sent: Number(row.sent) === 1,
    lost: Number(row.lost) === 1,
    slotWait: Number(row.slot_wait) === 1,
    holdsSlot: row.holds_slot === undefined || row.holds_slot === null || Number(row.holds_slot) !== 0,
    worker: row.worker,
    leaseUntil: num(row.lease_until),
    attachments: Number(row.attachments),
    cancelRequested: row.cancel_requested,
  };
}
