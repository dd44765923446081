// What upscale_image relies on to read a source by path instead of holding it in memory: the descriptor's own path
// reaches the opened file whatever happens to its name, the hash read in pieces is the hash of its bytes, and a
// write after the open is noticed.

import { createHash } from "node:crypto";
import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Workspace } from "../../src/workspace/workspace.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function opened(bytes: Buffer) {
  const dir = mkdtempSync(join(tmpdir(), "pw-opened-"));
  dirs.push(dir);
  const workspace = new Workspace(dir, []);
  await workspace.init();
  const path = join(dir, "source.png");
  writeFileSync(path, bytes);
  return { dir, path, file: await workspace.open(path, "path", { maxBytes: 1 << 24 }) };
}

const bytes = Buffer.from(Array.from({ length: 3_000_000 }, (_, i) => (i * 31) % 256));

describe("an opened file", () => {
  it("hashes its bytes read from the descriptor in pieces", async () => {
    const { file } = await opened(bytes);
    expect(await file.sha256()).toBe(createHash("sha256").update(bytes).digest("hex"));
    await file.close();
  });

  it.runIf(process.platform === "linux")(
    "is still what its descriptor path reads after its name is swapped",
    async () => {
      const { dir, path, file } = await opened(bytes);
      writeFileSync(join(dir, "other.png"), Buffer.from("another file entirely"));
      renameSync(join(dir, "other.png"), path);
      expect(file.descriptorPath).toMatch(/^\/proc\/self\/fd\/\d+$/);
      expect(readFileSync(file.descriptorPath as string).equals(bytes)).toBe(true);
      await file.close();
    },
  );

  it("notices a write after it was opened, and nothing else", async () => {
    const { path, file } = await opened(bytes);
    expect(await file.unchanged()).toBe(true);
    appendFileSync(path, "more");
    expect(await file.unchanged()).toBe(false);
    await file.close();
  });
});
