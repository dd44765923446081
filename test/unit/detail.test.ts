// The effective-resolution estimator, as a table: native contents are never flagged; the same contents enlarged by 2x
// and by 1.5x (the enlargements that make 3840x2160 from 1920x1080 and from 2560x1440) are flagged, with the source's
// edge estimated within 15%. The fixtures are 1920x1080: the traces depend on the factor, not the size, and a quarter
// of the pixels keeps the table fast (the 3840x2160 case is the bench's; verify_image's tests measure 4K files).

import { beforeAll, describe, expect, it } from "vitest";
import { estimateDetail } from "../../src/imaging/detail.js";
import { enlargedFrom, noisePicture, photoLikePicture, textPicture } from "../helpers/pictures.js";

const TARGET = { width: 1920, height: 1080 };
const SOURCES = [
  [960, 540],
  [1280, 720],
] as const;
const CONTENTS = {
  "white noise": () => noisePicture(TARGET.width, TARGET.height, 1),
  "photo-like texture": () => photoLikePicture(TARGET.width, TARGET.height, 2),
  "photo-like texture, fine grain": () => photoLikePicture(TARGET.width, TARGET.height, 5, 2),
  "gradient with dense text": () => textPicture(TARGET.width, TARGET.height, 3),
};
type Content = keyof typeof CONTENTS;
const pictures = new Map<Content, Buffer>();

beforeAll(async () => {
  for (const [name, make] of Object.entries(CONTENTS)) pictures.set(name as Content, await make());
}, 120_000);

const names = Object.keys(CONTENTS) as Content[];

describe("effective resolution (heuristic)", () => {
  it.each(names)("a native 1920x1080 %s is not flagged", async (name) => {
    const estimate = await estimateDetail(pictures.get(name) as Buffer);
    expect(estimate).toMatchObject({ heuristic: true, likely_upscaled: false, effective_width: 1920, factor: 1 });
  });

  it.each(
    names.flatMap((name) => SOURCES.map(([width, height]) => [name, width, height])) as [Content, number, number][],
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
