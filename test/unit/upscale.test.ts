import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { upscaleFactor, upscaleRefusal } from "../../src/contract/upscale.js";
import { NotAnImageError } from "../../src/errors.js";
import { upscaleImage } from "../../src/imaging/upscale.js";
import { noisePicture } from "../helpers/pictures.js";

async function picture(format: "png" | "jpeg" | "webp", alpha = false): Promise<Buffer> {
  const image = sharp({
    create: { width: 160, height: 90, channels: alpha ? 4 : 3, background: { r: 200, g: 40, b: 90, alpha: 0.5 } },
  });
  return image.toFormat(format).toBuffer();
}

describe("upscaleImage", () => {
  it.each(["png", "jpeg", "webp"] as const)("keeps the %s format and reaches the exact size", async (format) => {
    const out = await upscaleImage(await picture(format), { width: 320, height: 180 });
    expect(out).toMatchObject({ format, width: 320, height: 180, hasAlpha: false });
    const meta = await sharp(out.bytes).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual([format, 320, 180]);
  });

  it.each(["png", "webp"] as const)("keeps the alpha channel of a %s", async (format) => {
    const out = await upscaleImage(await picture(format, true), { width: 240, height: 135 });
    expect(out.hasAlpha).toBe(true);
    expect((await sharp(out.bytes).metadata()).hasAlpha).toBe(true);
  });

  it("the method is honoured: nearest and lanczos3 give different pixels", async () => {
    const source = await noisePicture(64, 36, 4);
    const smooth = await upscaleImage(source, { width: 128, height: 72 }, "lanczos3");
    const blocky = await upscaleImage(source, { width: 128, height: 72 }, "nearest");
    expect(smooth.bytes.equals(blocky.bytes)).toBe(false);
  });

  it("refuses bytes that are not an image", async () => {
    await expect(upscaleImage(Buffer.from("not an image at all"), { width: 10, height: 10 })).rejects.toBeInstanceOf(
      NotAnImageError,
    );
  });
});

describe("upscale rules", () => {
  it.each([
    [{ width: 2560, height: 1440 }, { width: 3840, height: 2160 }, null],
    [{ width: 2560, height: 1440 }, { width: 1920, height: 1080 }, "downscale"],
    [{ width: 2560, height: 1440 }, { width: 2560, height: 1440 }, "downscale"],
    [{ width: 2560, height: 1440 }, { width: 3840, height: 2560 }, "aspect"],
    [{ width: 1672, height: 941 }, { width: 3840, height: 2160 }, null],
  ])("%j to %j: %s", (source, target, kind) => {
    expect(upscaleRefusal(source, target)?.kind ?? null).toBe(kind);
  });

  it("states the factor of the larger edge", () => {
    expect(upscaleFactor({ width: 2560, height: 1440 }, { width: 3840, height: 2160 })).toBe(1.5);
  });
});
