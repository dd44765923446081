// Opening the job book a process uses: Redis for replicas (the HTTP server with PIXELWRIGHT_REDIS_URL), else the
// SQLite book in the workspace, with the spending of jobs.jsonl imported once; opened at once where jobs run here,
// on first use by a stdio server or a one-shot call. A workspace, state folder or database that cannot be used is a
// WorkspaceError naming the path and what to do (the same sentences as doctor's job book line, inspectBook).

import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Config } from "./config.js";
import { spendOf } from "./contract/spend.js";
import { errorMessage } from "./errors.js";
import type { JobBook } from "./jobs/book.js";
import { LazyBook } from "./jobs/lazy-book.js";
import { openSqliteBook } from "./jobs/sqlite-book.js";
import { checkDatabase } from "./jobs/sqlite-db.js";
import type { Logger } from "./log.js";
import { loadRedis } from "./redis-load.js";
import { FIX_WORKSPACE, type Problem, stateFolderProblem, unusable, whyNotWritable } from "./workspace/folders.js";
import { STATE_DB, STATE_DIR, stateFolder, sweepPreviews } from "./workspace/state.js";
import type { Workspace } from "./workspace/workspace.js";

/** Leftovers of crashed writers (temp files) and previews older than a day. */
async function sweep(workspace: Workspace, logger: Logger): Promise<void> {
  const swept = await workspace.sweepTemps();
  if (swept > 0) logger.info({ swept }, "removed temp files left by an earlier crash");
  await sweepPreviews(workspace).catch((err: unknown) => logger.debug({ err }, "old previews could not be swept"));
}

/**
 * The job book of this process: opened at once where jobs run here (the HTTP server, a runner, embedding), and on
 * first use (or once the handshake is done) by a stdio server or a one-shot call, which answer `tools/list` first.
 */
export interface BookUse {
  /** A replica of `pixelwright http`: with PIXELWRIGHT_REDIS_URL its book is Redis. */
  replica: boolean;
  /** Opened on first use (a stdio server, a one-shot call), not at start. */
  lazy: boolean;
}

export async function bookFor(config: Config, logger: Logger, workspace: Workspace, use: BookUse): Promise<JobBook> {
  const open = async () => {
    // The workspace must be usable (a WorkspaceError says why not); leftovers are swept when it is.
    await workspace.init();
    await sweep(workspace, logger).catch((err: unknown) => logger.warn({ err }, "leftover files could not be swept"));
    return openBook(config, logger, workspace, use.replica);
  };
  if (!use.lazy) return open();
  return new LazyBook("sqlite", open);
}

/** The job book: Redis for replicas (PIXELWRIGHT_REDIS_URL, the HTTP server only), else SQLite in the workspace. */
async function openBook(config: Config, logger: Logger, workspace: Workspace, replica: boolean): Promise<JobBook> {
  if (config.redisUrl && replica) {
    const { connectRedisBook } = await loadRedis();
    const book = await connectRedisBook({ url: config.redisUrl, logger });
    logger.info({ redis: config.redisUrl }, "sharing jobs, dedupe, limits and the spend ledger through Redis");
    return book;
  }
  if (config.redisUrl) {
    logger.info("PIXELWRIGHT_REDIS_URL is for `pixelwright http` replicas; this process uses the workspace's job book");
  }
  const { database } = await stateFolder(workspace);
  const book = await openSqliteBook({
    path: database,
    onError: (err) => logger.warn({ err }, "the job book could not be read"),
  }).catch(async (err: unknown) => {
    throw unusable(await databaseProblem(database, err), err);
  });
  // Spending from before the book existed (jobs.jsonl) still counts against the cap: imported once (an unreadable
  // jobs.jsonl is said, and imported at a later start once it can be read).
  const records = await workspace.readJobRecords().catch((err: unknown) => {
    logger.error({ err }, "jobs.jsonl cannot be read: its spending is not counted until it can");
    return null;
  });
  if (!records) return book;
  await book.importSpending(
    records.map((r) => ({
      at: Date.parse(r.finished_at),
      usd: spendOf({
        at: 0,
        billedUsd: r.cost_usd,
        estimateUsd: r.cost_estimate_usd,
        delivered: r.status === "completed",
        mayHaveBeenBilled: r.may_have_been_billed,
      }),
    })),
  );
  return book;
}

/** SQLite's primary result codes (the low byte of its extended codes) that say what is wrong with the file. */
const SQLITE = { CORRUPT: 11, NOTADB: 26, READONLY: 8, CANTOPEN: 14, FULL: 13 } as const;
const MOVE_ASIDE =
  "move it aside (rename it); pixelwright starts a new book, and jobs.jsonl keeps the record of spending";
const letWrite = (path: string) =>
  `let this user write it (chmod u+w ${path}, or chown it to this user), or move it aside to start a new book`;

/** The database file, or its folder, cannot be written: which of them, why, and what to change. */
async function unwritable(database: string, err: unknown): Promise<Problem> {
  const file = await access(database, constants.W_OK).then(
    () => null,
    (e: NodeJS.ErrnoException) => e,
  );
  if (file?.code === "EACCES" || file?.code === "EPERM") {
    return {
      detail: `the job book ${database} is read-only for this user (permission denied)`,
      fix: letWrite(database),
    };
  }
  const folder = dirname(database);
  const why = await whyNotWritable(folder, file && file.code !== "ENOENT" ? file : err);
  const denied = why.endsWith("(permission denied)");
  return {
    detail: `the job book ${database} cannot be written: ${why}`,
    fix: denied ? letWrite(folder) : FIX_WORKSPACE,
  };
}

/** What is wrong with the job book's database file after SQLite refused it, and what to do. */
export async function databaseProblem(database: string, err: unknown): Promise<Problem> {
  const code = Number((err as { errcode?: unknown } | null)?.errcode) & 0xff;
  const said = errorMessage(err);
  if (code === SQLITE.NOTADB) {
    return { detail: `the job book ${database} is not a SQLite database (damaged?)`, fix: MOVE_ASIDE };
  }
  if (code === SQLITE.CORRUPT)
    return { detail: `the job book ${database} is damaged (SQLite: ${said})`, fix: MOVE_ASIDE };
  if (code === SQLITE.READONLY || code === SQLITE.CANTOPEN || code === SQLITE.FULL) return unwritable(database, err);
  return { detail: `the job book ${database} cannot be opened (SQLite: ${said})`, fix: MOVE_ASIDE };
}

export interface BookInspection {
  ok: boolean;
  detail: string;
  fix: string | null;
}

/**
 * The workspace's job book as `pixelwright doctor` sees it, changing nothing: its folder can be written, and its
 * database, when there is one, opens (read-only) and SQLite finds it sound.
 */
export async function inspectBook(root: string): Promise<BookInspection> {
  const dir = join(root, STATE_DIR);
  const database = join(dir, STATE_DB);
  const fail = (problem: Problem): BookInspection => ({ ok: false, ...problem });
  const notYet = { ok: true, detail: `no job book yet: ${database} is made at the first image call`, fix: null };
  const writable = (path: string) =>
    access(path, constants.W_OK).then(
      () => null,
      (e: unknown) => e ?? "not writable",
    );
  const folder = await stat(dir).catch(() => null);
  // No folder yet: it is made in the workspace at the first image call, if the workspace can be written.
  const folderDenied = !folder ? await writable(root) : folder.isDirectory() ? await writable(dir) : "a file";
  if (folderDenied) return fail(await stateFolderProblem(dir, folderDenied));
  if (!folder || !(await stat(database).catch(() => null))) return notYet;
  let verdict: string;
  try {
    verdict = await checkDatabase(database);
  } catch (err) {
    return fail(await databaseProblem(database, err));
  }
  if (verdict !== "ok")
    return fail({ detail: `the job book ${database} is damaged (SQLite: ${verdict})`, fix: MOVE_ASIDE });
  const fileDenied = await writable(database);
  if (fileDenied) return fail(await unwritable(database, fileDenied));
  return { ok: true, detail: `${database} opens, can be written, and SQLite finds it sound`, fix: null };
}
