// `pixelwright runner`: the detached runner a stdio server or a one-shot call starts for its paid work (runner.ts).
// Not for people to run: it takes the workspace's runner lease (or exits at once when another runner holds it), runs
// queued jobs until it has had nothing to do for PIXELWRIGHT_RUNNER_IDLE_SECONDS, and exits. A signal stops it taking
// new jobs; the jobs it runs finish first (they are paid for); a second signal ends it at once.

import type { Config } from "../config.js";
import { InternalError } from "../errors.js";
import type { Logger } from "../log.js";
import { createRuntime } from "../runtime.js";

const LEASE_MS = 15_000;

export async function runRunner(config: Config, logger: Logger): Promise<number> {
  let idle: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    idle = resolve;
  });
  const runtime = await createRuntime(config, logger, { role: "runner", onIdle: () => idle() });
  const { book, pool, worker } = runtime;
  if (!worker) throw new InternalError("a runner runs its jobs itself, but this one has no worker");
  if (!(await book.leaseRunner(pool, worker.name, LEASE_MS))) {
    logger.info({ pool }, "another runner serves this workspace and configuration; exiting");
    await runtime.close();
    return 0;
  }
  const renew = setInterval(() => {
    if (!book.health().reachable) {
      // Its book file was deleted or replaced: new jobs go to the new book and a runner of its own.
      logger.error(
        { pool },
        "the job book this runner uses is gone (deleted or replaced); finishing its jobs, then exiting",
      );
      idle();
      return;
    }
    book
      .leaseRunner(pool, worker.name, LEASE_MS)
      .catch((err: unknown) => logger.warn({ err }, "runner lease not renewed"));
  }, LEASE_MS / 3);
  let signals = 0;
  const stop = (signal: string) => {
    signals++;
    if (signals > 1) process.exit(1);
    logger.info({ signal, running: worker.active }, "runner stopping: running jobs finish first");
    idle();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGHUP", () => {}); // a closed terminal is not a reason to drop paid work
  logger.info({ pool, pid: process.pid }, "runner started");
  worker.start();
  void runtime.warm();
  await done;
  clearInterval(renew);
  // Running jobs finish (no grace limit: they are paid for); nothing new is taken.
  await worker.close(Number.MAX_SAFE_INTEGER);
  await book.releaseRunner(pool, worker.name).catch(() => {});
  await runtime.close();
  logger.info("runner exiting: nothing left to do");
  return 0;
}
