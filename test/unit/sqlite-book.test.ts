import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
