// Files a caller names that are not whole images: a real image cut short is an input error that says so (never
// "Internal error", never a paid call), and a file that is not an image is described without quoting its content.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { noisePicture } from "../helpers/pictures.js";
import { simulatedSessions, textOf } from "../helpers/simulated.js";

const sessions = simulatedSessions();
const harness = sessions.harness;

/** A real 1024x1024 image with detail in every row (so every part of the file carries pixels). */
async function detailed(format: "png" | "jpeg"): Promise<Buffer> {
  const picture = await noisePicture(1024, 1024, 23);
  return format === "png" ? picture : sharp(picture).jpeg().toBuffer();
}

const CUTS: Array<[string, () => Promise<Buffer>]> = [
  ["a PNG cut at 300 bytes", async () => (await detailed("png")).subarray(0, 300)],
  ["a PNG cut in the middle", async () => (await detailed("png")).subarray(0, 1_000_000)],
  ["a JPEG cut before its end", async () => (await detailed("jpeg")).subarray(0, 100_000)],
];

describe.each(CUTS)("%s", (_name, make) => {
  it("verify_image: an input error that says the file is truncated", async () => {
    const h = await harness();
    writeFileSync(join(h.workspace, "cut.img"), await make());
    const result = await h.call("verify_image", { path: "cut.img" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^Invalid request: path 'cut.img' cannot be decoded: it is truncated or corrupt/);
  });

  it("upscale_image: an input error that says the file is truncated, and no file is made", async () => {
    const h = await harness();
    writeFileSync(join(h.workspace, "cut.img"), await make());
    const result = await h.call("upscale_image", { path: "cut.img", size: "2048x2048" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/path 'cut.img' cannot be decoded: it is truncated or corrupt/);
    expect(h.files()).toEqual(["cut.img"]);
  });

  it("as a reference image: refused before the paid call (0 upstream requests)", async () => {
    const h = await harness();
    writeFileSync(join(h.workspace, "cut.img"), await make());
    const result = await h.call("generate_image", {
      prompt: "the same scene at dusk",
      size: "1024x1024",
      reference_images: ["cut.img"],
      return_image: "none",
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/reference_images\[0\] 'cut.img' cannot be decoded: it is truncated or corrupt/);
    expect(h.sim.stats.imageRequests).toBe(0);
  });
});

describe("verify_image on a file that is not an image", () => {
  const SECRET = "TOPSECRET-notes: the launch code is 0000";
  const FILES: Array<[string, Buffer, RegExp]> = [
    ["a text file", Buffer.from(`${SECRET}\n`.repeat(8)), /they look like text, not an image/],
    ["a PDF", Buffer.from(`%PDF-1.7\n${SECRET}\n`), /they look like a PDF document, not an image/],
    ["an SVG", Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg"><!-- ${SECRET} --></svg>`), /SVG drawing/],
    ["binary data", Buffer.concat([Buffer.from([0, 1, 2, 3, 0xfe]), Buffer.from(SECRET)]), /binary data, not an image/],
  ];

  it.each(FILES)("%s in the workspace: says what it looks like, quotes none of it", async (_name, bytes, looks) => {
    const h = await harness();
    writeFileSync(join(h.workspace, "notes.png"), bytes);
    const text = textOf(await h.call("verify_image", { path: "notes.png" }));
    expect(text).toMatch(looks);
    expect(text).not.toMatch(/TOPSECRET|launch|%PDF|<svg|00 01 02/);
  });

  it("in a read root outside the workspace: the same, quoting none of it", async () => {
    const outside = mkdtempSync(join(tmpdir(), "pixelwright-root-"));
    sessions.defer(() => rmSync(outside, { recursive: true, force: true }));
    mkdirSync(join(outside, "docs"));
    writeFileSync(join(outside, "docs", "notes.png"), `${SECRET}\n`);
    const h = await harness({ readRoots: [outside] });
    const text = textOf(await h.call("verify_image", { path: join(outside, "docs", "notes.png") }));
    expect(text).toMatch(/they look like text, not an image/);
    expect(text).not.toMatch(/TOPSECRET/);
  });
});
