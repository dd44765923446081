// The job book of a workspace, read by a test as another process would: which worker (and so which process) runs a
// job, and what state the book holds.

import { join } from "node:path";
import { type BookJob, type JobBook, parseWorker } from "../../src/jobs/book.js";
import { openSqliteBook } from "../../src/jobs/sqlite-book.js";

export function openBookOf(workspace: string): Promise<JobBook> {
  return openSqliteBook({ path: join(workspace, ".pixelwright", "state.db") });
}

/** The job as the workspace's book holds it now. */
export async function jobIn(workspace: string, id: string): Promise<BookJob | null> {
  const book = await openBookOf(workspace);
  try {
    return await book.get(id);
  } finally {
    await book.close();
  }
}

/** The pid of the process that runs a job (its worker), once a worker took it. */
export async function workerPid(workspace: string, id: string): Promise<number | null> {
  const job = await jobIn(workspace, id);
  return job?.worker ? (parseWorker(job.worker)?.pid ?? null) : null;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
