// The one file opener for paths a request names: by descriptor, inside the roots, capped before reading.
import { execFileSync, spawn } from "node:child_process";
import {
  closeSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openInRoots, type ReadableRoots, readInRoots } from "../../src/workspace/files.js";

function sandbox() {
  const parent = realpathSync(mkdtempSync(join(tmpdir(), "pixelwright-files-")));
  const root = join(parent, "workspace");
  const outside = join(parent, "outside");
  mkdirSync(root);
  mkdirSync(outside);
  writeFileSync(join(outside, "secret.png"), "OUTSIDE-SECRET-BYTES");
  const roots: ReadableRoots = { real: [root], lexical: [root] };
  return { parent, root, outside, roots };
}

const opts = (what = "path") => ({ what, maxBytes: 50 * 1024 * 1024 });

async function refusalOf(requested: string, roots: ReadableRoots): Promise<string> {
  try {
    await readInRoots(requested, roots, opts());
  } catch (err) {
    return (err as Error).message.replace(`'${requested}'`, "'<path>'");
  }
  return "read";
}

describe("opening a file a request names", () => {
  it("reads a regular file inside the root by relative or absolute path, its size from the descriptor", async () => {
    const { root, roots } = sandbox();
    writeFileSync(join(root, "a.png"), "INSIDE");
    const file = await readInRoots("a.png", roots, opts());
    expect(file.bytes.toString()).toBe("INSIDE");
    expect(file.size).toBe(6);
    expect((await readInRoots(join(root, "a.png"), roots, opts())).path).toBe(join(root, "a.png"));
  });

  it("reads only the header when only the header is asked for", async () => {
    const { root, roots } = sandbox();
    writeFileSync(join(root, "big.png"), Buffer.alloc(100_000, 7));
    const file = await openInRoots("big.png", roots, opts());
    try {
      expect((await file.head(32)).length).toBe(32);
      expect(file.size).toBe(100_000);
    } finally {
      await file.close();
    }
  });

  it("refuses a symlink at the last component, even one pointing inside the root", async () => {
    const { root, roots } = sandbox();
    writeFileSync(join(root, "real.png"), "INSIDE");
    symlinkSync(join(root, "real.png"), join(root, "link.png"));
    await expect(readInRoots("link.png", roots, opts())).rejects.toThrow(/symbolic link/);
  });

  it("gives one answer for every path outside the root: a link out to an existing file, to a missing one, or the paths themselves", async () => {
    const { root, outside, roots } = sandbox();
    symlinkSync(join(outside, "secret.png"), join(root, "out-existing.png"));
    symlinkSync(join(outside, "missing.png"), join(root, "out-missing.png"));
    const answers = new Set([
      await refusalOf("out-existing.png", roots),
      await refusalOf("out-missing.png", roots),
      await refusalOf(join(outside, "secret.png"), roots),
      await refusalOf(join(outside, "missing.png"), roots),
      await refusalOf("../outside/secret.png", roots),
    ]);
    expect([...answers]).toHaveLength(1);
    expect([...answers][0]).toMatch(/outside the folders this server may read/);
  });

  it("refuses a file reached through a directory link that points out", async () => {
    const { root, outside, roots } = sandbox();
    symlinkSync(outside, join(root, "dir"));
    await expect(readInRoots("dir/secret.png", roots, opts())).rejects.toThrow(/outside the folders/);
  });

  it("refuses a file over the cap from its size alone, before reading it (1.5 GB sparse file)", async () => {
    const { root, roots } = sandbox();
    const fd = openSync(join(root, "huge.png"), "w");
    ftruncateSync(fd, 1536 * 1024 * 1024);
    closeSync(fd);
    await expect(readInRoots("huge.png", roots, opts("reference_images[0]"))).rejects.toThrow(
      /reference_images\[0\] 'huge.png' is 1536.0 MB; the limit is 50.0 MB/,
    );
  });

  it("refuses a directory and a FIFO as not a file, without hanging on the FIFO", async () => {
    const { root, roots } = sandbox();
    mkdirSync(join(root, "folder"));
    execFileSync("mkfifo", [join(root, "pipe.png")]);
    await expect(readInRoots("folder", roots, opts())).rejects.toThrow(/is not a file/);
    await expect(readInRoots("pipe.png", roots, opts())).rejects.toThrow(/is not a file/);
  });

  it("never reads an outside byte while a file flips between a regular file and a link pointing out", async () => {
    const { root, outside, roots } = sandbox();
    const target = join(root, "flip.png");
    writeFileSync(target, "INSIDE");
    // A separate process swaps the name atomically (rename) between a regular file and a link pointing out.
    const flipper = spawn(process.execPath, [
      "-e",
      `const fs = require("node:fs");
       const [target, secret] = process.argv.slice(1);
       const pause = new Int32Array(new SharedArrayBuffer(4));
       for (let i = 0; ; i++) {
         const tmp = target + ".tmp" + (i % 2);
         try { fs.rmSync(tmp, { force: true }); } catch {}
         if (i % 2) fs.symlinkSync(secret, tmp); else fs.writeFileSync(tmp, "INSIDE");
         fs.renameSync(tmp, target);
         Atomics.wait(pause, 0, 0, 1); // each state lasts at least 1 ms, so both are met often
       }`,
      target,
      join(outside, "secret.png"),
    ]);
    const exited = new Promise((r) => flipper.on("exit", r));
    let reads = 0;
    let refused = 0;
    let leaked = 0;
    // Until both states were met often (however busy the machine), then the flipper is stopped.
    while (reads < 20 || refused < 20) {
      try {
        const { bytes } = await readInRoots("flip.png", roots, opts());
        reads++;
        if (bytes.toString().includes("OUTSIDE")) leaked++;
      } catch {
        refused++;
      }
    }
    flipper.kill();
    await exited;
    expect(leaked).toBe(0);
    expect(reads).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
