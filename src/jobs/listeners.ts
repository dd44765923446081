// Who listens to which job, for both books: each listener hears each version of its job once (a change noticed twice
// — two events for one commit, a recheck after a reconnect — is told once), and a job nobody listens to is forgotten.

import type { BookJob, JobListener } from "./book.js";

export class JobListeners {
  private readonly byJob = new Map<string, Set<JobListener>>();
  /** The version of each watched job as last told. */
  private readonly told = new Map<string, number>();

  /** Adds a listener; the returned function removes it. */
  add(id: string, listener: JobListener): () => void {
    let set = this.byJob.get(id);
    if (!set) {
      set = new Set();
      this.byJob.set(id, set);
    }
    set.add(listener);
    return () => {
      const current = this.byJob.get(id);
      current?.delete(listener);
      if (current?.size === 0) {
        this.byJob.delete(id);
        this.told.delete(id);
      }
    };
  }

  has(id: string): boolean {
    return this.byJob.has(id);
  }

  get size(): number {
    return this.byJob.size;
  }

  /** The jobs someone listens to. */
  ids(): string[] {
    return [...this.byJob.keys()];
  }

  /** Tells the job's listeners about this version of it, unless they were told already. */
  tell(job: BookJob, version: number): void {
    const set = this.byJob.get(job.id);
    if (!set || this.told.get(job.id) === version) return;
    this.told.set(job.id, version);
    for (const listener of [...set]) listener(job);
  }

  clear(): void {
    this.byJob.clear();
    this.told.clear();
  }
}
