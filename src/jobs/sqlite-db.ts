// node:sqlite as the job book uses it: one connection per process to the workspace's database (WAL), statements
// prepared once, and write transactions that take the database's write lock (BEGIN IMMEDIATE), so processes sharing
// the file serialize their writes there while readers never block.

import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";

export type { SQLInputValue } from "node:sqlite";

import { MIGRATIONS, SCHEMA } from "./sqlite-schema.js";

/** node:sqlite, loaded without its "experimental" warning on the stderr of every process that opens the book. */
async function loadSqlite(): Promise<typeof import("node:sqlite")> {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning).includes("SQLite")) return;
    return (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return await import("node:sqlite");
  } finally {
    process.emitWarning = emit;
  }
}

/** How long opening the book waits out other processes that hold it (each try already waits the busy timeout). */
const OPEN_BUSY_MS = 60_000;

/** SQLite's SQLITE_BUSY (5) and its extended codes: the database is locked by another connection right now. */
function isBusy(err: unknown): boolean {
  const code = (err as { errcode?: unknown } | null)?.errcode;
  return typeof code === "number" && (code & 0xff) === 5;
}

/**
 * Opens an existing database read-only and asks SQLite whether it is sound (`pixelwright doctor`): "ok", or what
 * quick_check found. Throws SQLite's own error when it cannot be opened at all (not a database, no permission).
 */
export async function checkDatabase(path: string): Promise<string> {
  const { DatabaseSync } = await loadSqlite();
  const raw = new DatabaseSync(path, { readOnly: true });
  try {
    raw.exec("PRAGMA busy_timeout = 2000");
    const row = raw.prepare("PRAGMA quick_check(1)").get() as { quick_check?: unknown } | undefined;
    return String(row?.quick_check ?? "no answer");
  } finally {
    raw.close();
  }
}

export class Db {
  private readonly statements = new Map<string, StatementSync>();
  /** Called after every committed write of this process (its own changes, which data_version does not count). */
  onWrite: () => void = () => {};

  private constructor(readonly raw: DatabaseSync) {}

  static async open(path: string): Promise<Db> {
    const { DatabaseSync } = await loadSqlite();
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        return Db.openOnce(new DatabaseSync(path));
      } catch (err) {
        // Another process holding the book past the busy timeout while it opens (a start under heavy load) is a
        // moment to wait for, not a broken book to move aside: try again, for a while.
        if (!isBusy(err) || Date.now() - started > OPEN_BUSY_MS) throw err;
        await new Promise((resolve) => setTimeout(resolve, Math.min(500, 25 * attempt)));
      }
    }
  }

  private static openOnce(raw: DatabaseSync): Db {
    try {
      // Another process may be creating the schema at this very moment: wait for its lock rather than fail.
      raw.exec("PRAGMA busy_timeout = 10000");
      // WAL is kept in the file: only a new book needs the exclusive lock that switching to it takes.
      const mode = raw.prepare("PRAGMA journal_mode").get() as { journal_mode?: string } | undefined;
      if (mode?.journal_mode !== "wal") raw.exec("PRAGMA journal_mode = WAL");
      raw.exec("PRAGMA synchronous = NORMAL");
      raw.exec(SCHEMA);
      // A database SQLite could open only for reading (a read-only file) fails here, at start, not at the first job.
      raw.exec("BEGIN IMMEDIATE; DELETE FROM meta WHERE 0; COMMIT");
      const db = new Db(raw);
      db.migrate();
      return db;
    } catch (err) {
      // A file that is no database (or cannot be written) is not held open by a failed start.
      try {
        raw.exec("ROLLBACK"); // a probe or migration that failed half way holds no lock while the caller waits
      } catch {
        // no transaction was open
      }
      raw.close();
      throw err;
    }
  }

  /** Brings a database made by an older version forward, once, whichever process opens it first. */
  private migrate(): void {
    const version = () =>
      Number((this.raw.prepare("PRAGMA user_version").get() as { user_version: number }).user_version);
    if (version() >= MIGRATIONS.length) return;
    this.write(() => {
      // Another process may have migrated it between the look and the lock.
      for (let v = version(); v < MIGRATIONS.length; v++) this.raw.exec(MIGRATIONS[v] as string);
      this.raw.exec(`PRAGMA user_version = ${MIGRATIONS.length}`);
    });
  }

  stmt(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.raw.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  get<T>(sql: string, ...params: SQLInputValue[]): T | undefined {
    return this.stmt(sql).get(...params) as T | undefined;
  }

  all<T>(sql: string, ...params: SQLInputValue[]): T[] {
    return this.stmt(sql).all(...params) as unknown as T[];
  }

  run(sql: string, ...params: SQLInputValue[]): number {
    return Number(this.stmt(sql).run(...params).changes);
  }

  /** Runs fn in one write transaction (BEGIN IMMEDIATE takes the database's write lock: processes serialize here). */
  write<T>(fn: () => T): T {
    this.raw.exec("BEGIN IMMEDIATE");
    let result: T;
    try {
      result = fn();
      this.raw.exec("COMMIT");
    } catch (err) {
      this.raw.exec("ROLLBACK");
      throw err;
    }
    this.onWrite();
    return result;
  }

  dataVersion(): number {
    return Number((this.raw.prepare("PRAGMA data_version").get() as { data_version: number }).data_version);
  }

  close(): void {
    this.raw.close();
  }
}
