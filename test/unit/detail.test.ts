// The effective-resolution estimator, as a table: native contents are never flagged; the same contents enlarged from
// 1920x1080 and from 2560x1440 to 3840x2160 are flagged, with the source's edge estimated within 15%.

import { beforeAll, describe, expect, it } from "vitest";
import { estimateDetail } from "../../src/imaging/detail.js";
import { enlargedFrom, noisePicture, photoLikePicture, textPicture } from "../helpers/pictures.js";

const TARGET = { width: 3840, height: 2160 };
const CONTENTS = {
  "white noise": () => noisePicture(3840, 2160, 1),
  "photo-like texture": () => photoLikePicture(3840, 2160, 2),
  "photo-like texture, fine grain": () => photoLikePicture(3840, 2160, 5, 2),
  "gradient with dense text": () => textPicture(3840, 2160, 3),
};
type Content = keyof typeof CONTENTS;
const pictures = new Map<Content, Buffer>();

beforeAll(async () => {
  for (const [name, make] of Object.entries(CONTENTS)) pictures.set(name as Content, await make());
}, 120_000);

const names = Object.keys(CONTENTS) as Content[];

describe("effective resolution (heuristic)", () => {
  it.each(names)("a native 3840x2160 %s is not flagged", async (name) => {
    const estimate = await estimateDetail(pictures.get(name) as Buffer);
    expect(estimate).toMatchObject({ heuristic: true, likely_upscaled: false, effective_width: 3840, factor: 1 });
  });

  it.each(
    names.flatMap((name) => [
      [name, 1920, 1080],
      [name, 2560, 1440],
    ]) as [Content, number, number][],
  )("%s enlarged from %ix%i is flagged with its source edge within 15%", async (name, width, height) => {
    const upscaled = await enlargedFrom(pictures.get(name) as Buffer, { width, height }, TARGET);
    const estimate = await estimateDetail(upscaled);
    expect(estimate.likely_upscaled).toBe(true);
    expect(Math.abs(estimate.effective_width / width - 1)).toBeLessThanOrEqual(0.15);
    expect(Math.abs(estimate.effective_height / height - 1)).toBeLessThanOrEqual(0.15);
    expect(estimate.note).toMatch(/Heuristic/);
  });

  it("a JPEG's 8x8 blocks alone are not taken for an enlargement", async () => {
    const { default: sharp } = await import("sharp");
    const jpeg = await sharp(pictures.get("photo-like texture") as Buffer)
      .jpeg({ quality: 85 })
      .toBuffer();
    expect((await estimateDetail(jpeg)).likely_upscaled).toBe(false);
  });

  it("an image too small to judge is reported as native, saying so", async () => {
    const tiny = await noisePicture(48, 48, 9);
    const estimate = await estimateDetail(tiny);
    expect(estimate.likely_upscaled).toBe(false);
    expect(estimate.note).toMatch(/too small/);
  });
});
