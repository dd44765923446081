// A writer that dies in the middle of writing an image or its record leaves nothing under the file's own name: the
// bytes go to a `.tmp-<pid>-…` file first and reach the name only whole (link, rename). The death is imitated by a
// write that puts down half the bytes and then fails; the temp file it leaves is what the next process sweeps.

import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { Workspace } from "../../src/workspace/workspace.js";

const dying = { on: false };
vi.mock("node:fs/promises", async (original) => {
  const fs = await original<typeof import("node:fs/promises")>();
  return {
    ...fs,
    writeFile: async (...args: Parameters<typeof fs.writeFile>) => {
      if (!dying.on) return fs.writeFile(...args);
      const [path, data] = args;
      const bytes = typeof data === "string" ? Buffer.from(data) : Buffer.from(data as Uint8Array);
      await fs.writeFile(path, bytes.subarray(0, bytes.length >> 1), { flag: "wx" });
      throw new Error("killed mid-write");
    },
  };
});

let root: string;
let ws: Workspace;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "pw-ws-crash-"));
  ws = new Workspace(root);
  dying.on = true;
});

describe("a writer killed mid-write", () => {
  it("leaves no half image under the image's name, and no image in the listing", async () => {
    const name = "20261205-070000-half-abc123.png";
    await expect(ws.save(name, Buffer.alloc(4096, 7))).rejects.toThrow(/killed mid-write/);
    expect(readdirSync(root).filter((f) => !f.startsWith(".tmp-"))).toEqual([]);
    expect(await ws.listImages()).toEqual([]);
  });

  it("leaves no half record beside an image", async () => {
    dying.on = false;
    const { name } = await ws.save("20261205-070000-whole-abc123.png", Buffer.alloc(4096, 7));
    dying.on = true;
    await expect(ws.writeSidecar(name, { record_version: 1 } as never)).rejects.toThrow(/killed mid-write/);
    expect(readdirSync(root).filter((f) => !f.startsWith(".tmp-"))).toEqual([name]);
  });
});
