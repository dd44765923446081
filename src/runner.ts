// The detached runner: where a stdio server's or a one-shot call's paid work runs. One runner per workspace and
// configuration pool, started on demand by whichever process needs it (the book's runner lease makes sure only one
// runs), in its own session and process group, with the exact configuration of the process that started it (as
// environment variables: the key never touches a command line or a file). It takes queued jobs from the book, writes
// images, sidecars, the manifest and jobs.jsonl, and exits once it has had nothing to do for a minute.

import { fileURLToPath } from "node:url";
import type { Config } from "./config.js";
import { configEnv } from "./config-env.js";
import type { JobBook } from "./jobs/book.js";
import { spawnDetached } from "./jobs/spawn.js";
import type { Logger } from "./log.js";
import { openRunnerLog } from "./workspace/state.js";
import type { Workspace } from "./workspace/workspace.js";

/** How long a just-started runner gets to take its lease before another start is tried. */
const STARTING_MS = 10_000;

export interface DetachedRunner {
  /** Makes sure a runner of the pool is alive, starting one when none is. */
  ensure(): Promise<void>;
}

export interface DetachedRunnerOptions {
  book: JobBook;
  pool: string;
  workspace: Workspace;
  config: Config;
  logger: Logger;
  /** [node, entry]: how to start a runner; by default dist/runner-main.js beside this module. */
  command?: readonly string[] | undefined;
}

/** The runner's entry (dist/runner-main.js, bundled beside this module in dist/). */
export function runnerCommand(): string[] {
  return [process.execPath, fileURLToPath(new URL("./runner-main.js", import.meta.url))];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function detachedRunner(options: DetachedRunnerOptions): DetachedRunner {
  const { book, pool, workspace, config, logger } = options;
  const [command, ...args] = options.command ?? runnerCommand();
  let starting: Promise<void> | null = null;
  let started: { pid: number; at: number } | null = null;

  const start = async () => {
    const log = await openRunnerLog(workspace);
    try {
      const pid = await spawnDetached({
        command: command as string,
        args,
        env: configEnv(config),
        stderr: log.fd,
      });
      started = { pid, at: Date.now() };
      logger.info({ pid, pool }, "started a detached runner for paid work");
    } finally {
      await log.close();
    }
  };

  return {
    async ensure() {
      if (await book.runnerAlive(pool)) return;
      // One that was just started is still taking its lease: do not start a second.
      if (started && alive(started.pid) && Date.now() - started.at < STARTING_MS) return;
      starting ??= start().finally(() => {
        starting = null;
      });
      await starting;
    },
  };
}
