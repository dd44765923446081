// Noticing changes to the SQLite job book, made by this process or any other: the folder's change events (inotify
// and the like) say when to look, PRAGMA data_version says whether another process committed, and a short timer
// covers file systems that send no events. Only while someone listens; each listener hears each change once.

import { type FSWatcher, watch as watchDir } from "node:fs";
import type { JobListener } from "./book.js";
import { JobListeners } from "./listeners.js";
import type { Db } from "./sqlite-db.js";
import { type JobRow, rowToJob } from "./sqlite-schema.js";

/** How often other processes' changes are looked for when the file system sends no events. */
const FALLBACK_POLL_MS = 200;

export class ChangeWatcher {
  private readonly listeners = new JobListeners();
  private readonly queuedListeners = new Set<() => void>();
  private dataVersion = -1;
  private watcher: FSWatcher | null = null;
  private poll: NodeJS.Timeout | null = null;
  private checking = false;
  private recheck = false;
  /** A write of this process since the last look (data_version moves only for other processes' commits). */
  private pending = false;
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly folder: string,
    private readonly onError: (err: unknown) => void,
  ) {
    db.onWrite = () => {
      this.pending = true;
      this.changed();
    };
  }

  watch(id: string, listener: JobListener): () => void {
    const remove = this.listeners.add(id, listener);
    this.start();
    return () => {
      remove();
      this.stopWhenIdle();
    };
  }

  onQueued(listener: () => void): () => void {
    this.queuedListeners.add(listener);
    this.start();
    return () => {
      this.queuedListeners.delete(listener);
      this.stopWhenIdle();
    };
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
    this.queuedListeners.clear();
    this.stopWhenIdle();
  }

  private start(): void {
    if (this.closed || this.poll) return;
    this.dataVersion = this.db.dataVersion();
    try {
      this.watcher = watchDir(this.folder, { persistent: false }, () => this.changed());
      this.watcher.on("error", () => {
        this.watcher?.close();
        this.watcher = null;
      });
    } catch {
      this.watcher = null; // no events on this file system: the timer below still notices
    }
    this.poll = setInterval(() => this.changed(), FALLBACK_POLL_MS);
    this.poll.unref();
  }

  private stopWhenIdle(): void {
    if (this.listeners.size > 0 || this.queuedListeners.size > 0) return;
    this.watcher?.close();
    this.watcher = null;
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
  }

  /** Something may have changed (here, or in another process): look once, soon. */
  private changed(): void {
    if (this.closed || (this.listeners.size === 0 && this.queuedListeners.size === 0)) return;
    if (this.checking) {
      this.recheck = true;
      return;
    }
    this.checking = true;
    setImmediate(() => {
      try {
        this.deliver();
      } catch (err) {
        this.onError(err);
      } finally {
        this.checking = false;
        if (this.recheck) {
          this.recheck = false;
          this.changed();
        }
      }
    });
  }

  private deliver(): void {
    if (this.closed) return;
    const version = this.db.dataVersion();
    if (version === this.dataVersion && !this.pending) return;
    this.dataVersion = version;
    this.pending = false;
    for (const id of this.listeners.ids()) {
      const row = this.db.get<JobRow>("SELECT * FROM jobs WHERE id = ?", id);
      if (row) this.listeners.tell(rowToJob(row), Number(row.version));
    }
    if (this.queuedListeners.size > 0 && this.db.get("SELECT 1 FROM jobs WHERE status = 'queued' LIMIT 1")) {
      for (const listener of [...this.queuedListeners]) listener();
    }
  }
}
