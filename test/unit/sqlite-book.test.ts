import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openSqliteBook } from "../../src/jobs/sqlite-book.js";
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
