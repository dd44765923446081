import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { openSqliteBook } from "../../src/jobs/sqlite-book.js";
import { SCHEMA } from "../../src/jobs/sqlite-schema.js";
import { describeJobBook } from "../helpers/book-contract.js";

let dir: string | null = null;

describeJobBook("SQLite in the workspace", {
  async open() {
    dir = mkdtempSync(join(tmpdir(), "pixelwright-book-"));
    return openSqliteBook({ path: join(dir, "state.db") });
  },
  async another() {
    return openSqliteBook({ path: join(dir as string, "state.db") });
  },
  async cleanup() {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = null;
  },
});

describe("the SQLite book's file", () => {
  it.each([
    ["deleted", (path: string) => rmSync(path)],
    ["replaced", (path: string) => renameSync(`${path}.other`, path)],
  ])("is reported unreachable once %s (a runner on it stops taking jobs)", async (_what, change) => {
    const where = mkdtempSync(join(tmpdir(), "pixelwright-book-"));
    const path = join(where, "state.db");
    const book = await openSqliteBook({ path });
    try {
      writeFileSync(`${path}.other`, "");
      expect(book.health().reachable).toBe(true);
      change(path);
      expect(book.health().reachable).toBe(false);
    } finally {
      await book.close();
      rmSync(where, { recursive: true, force: true });
    }
  });
});

describe("a job book made by an earlier version", () => {
  it("is brought forward when opened: its jobs hold a slot, and jobs that hold none can be added", async () => {
    const folder = mkdtempSync(join(tmpdir(), "pixelwright-book-"));
    try {
      const path = join(folder, "state.db");
      // The schema as version 0 left it: no holds_slot column, user_version 0.
      const old = new DatabaseSync(path);
      old.exec(SCHEMA);
      old.exec(
        `INSERT INTO jobs (id, key, pool, status, label, typical, created_at, updated_at, progress, payload)
         VALUES ('job_old', 'k', 'p1', 'queued', 'rendering', 'usually 10-60 s', 1, 1, '{"progress":0,"message":""}', 'null')`,
      );
      old.close();
      const book = await openSqliteBook({ path });
      try {
        expect(await book.get("job_old")).toMatchObject({ status: "queued", holdsSlot: true });
        const outcome = await book.submit({
          key: null,
          pool: "p1",
          about: { label: "looking", typical: "within 24 h" },
          payload: null,
          request: null,
          reuseWindowMs: 0,
          holdsSlot: false,
        });
        expect("job" in outcome && outcome.job.holdsSlot).toBe(false);
        expect(await book.active()).toBe(1);
      } finally {
        await book.close();
      }
      // Opened again (another process, later): nothing is applied twice.
      const again = await openSqliteBook({ path });
      expect(await again.active()).toBe(1);
      await again.close();
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
