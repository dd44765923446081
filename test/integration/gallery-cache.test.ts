// The gallery's thumbnail cache is opened like every other file: a link planted in `.thumbs/` (or `.thumbs` itself
// a link) never serves another file, and a cached file is served only when it is a WebP.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.js";
import { serveGallery } from "../../src/transports/gallery-server.js";
import { simulatedSessions } from "../helpers/simulated.js";

const SECRET = "TOPSECRET: not a thumbnail\n";

const sessions = simulatedSessions();

/** A workspace with one image, its gallery served in-process, and a folder outside the workspace. */
async function galleryWithImage() {
  const h = await sessions.harness();
  const made = await h.call("generate_image", { prompt: "a harbour", size: "1024x1024", return_image: "none" });
  const name = basename((made.structuredContent as { images: Array<{ path: string }> }).images[0]?.path ?? "");
  const handle = await serveGallery(h.runtime, createLogger("silent"));
  sessions.defer(() => handle.close());
  const outside = mkdtempSync(join(tmpdir(), "pixelwright-outside-"));
  sessions.defer(() => rmSync(outside, { recursive: true, force: true }));
  const token = new URL(handle.url).searchParams.get("token") ?? "";
  const thumb = async () => {
    const res = await fetch(`http://127.0.0.1:${handle.port}/gallery/thumbs/${name}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: res.status, type: res.headers.get("content-type"), bytes: Buffer.from(await res.arrayBuffer()) };
  };
  return { workspace: h.workspace, name, outside, thumb };
}

const isWebp = (b: Buffer) => b.toString("latin1", 0, 4) === "RIFF" && b.toString("latin1", 8, 12) === "WEBP";

describe("the gallery's thumbnail cache", () => {
  it("never serves the target of a link planted at a thumbnail's name", async () => {
    const g = await galleryWithImage();
    writeFileSync(join(g.outside, "secret.txt"), SECRET);
    mkdirSync(join(g.workspace, ".thumbs"));
    symlinkSync(join(g.outside, "secret.txt"), join(g.workspace, ".thumbs", `${g.name}.webp`));
    const served = await g.thumb();
    expect(served.bytes.toString("latin1")).not.toContain("TOPSECRET");
    expect(served).toMatchObject({ status: 200, type: "image/webp" });
    expect(isWebp(served.bytes)).toBe(true);
  });

  it("never serves or writes through a .thumbs folder that is a link to a folder elsewhere", async () => {
    const g = await galleryWithImage();
    writeFileSync(join(g.outside, `${g.name}.webp`), SECRET);
    symlinkSync(g.outside, join(g.workspace, ".thumbs"));
    const served = await g.thumb();
    expect(served.bytes.toString("latin1")).not.toContain("TOPSECRET");
    expect(isWebp(served.bytes)).toBe(true);
    expect(readdirSync(g.outside)).toEqual([`${g.name}.webp`]);
  });

  it("serves a cached file only when it is a WebP, and makes the thumbnail again otherwise", async () => {
    const g = await galleryWithImage();
    mkdirSync(join(g.workspace, ".thumbs"));
    writeFileSync(join(g.workspace, ".thumbs", `${g.name}.webp`), SECRET);
    const served = await g.thumb();
    expect(served.bytes.toString("latin1")).not.toContain("TOPSECRET");
    expect(isWebp(served.bytes)).toBe(true);
  });
});
