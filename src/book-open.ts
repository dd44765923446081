// Opening the job book a process uses: Redis for replicas (the HTTP server with PIXELWRIGHT_REDIS_URL), else the
// SQLite book in the workspace, with the spending of jobs.jsonl imported once; opened at once where jobs run here,
// on first use by a stdio server or a one-shot call.

import type { Config } from "./config.js";
import { spendOf } from "./contract/spend.js";
import type { JobBook } from "./jobs/book.js";
import { LazyBook } from "./jobs/lazy-book.js";
import { openSqliteBook } from "./jobs/sqlite-book.js";
import type { Logger } from "./log.js";
import { loadRedis } from "./redis-load.js";
import { stateFolder, sweepPreviews } from "./workspace/state.js";
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
    await sweep(workspace, logger);
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
