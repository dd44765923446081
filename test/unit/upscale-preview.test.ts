// The preview of an upscaled file is made from the pixels upscale_image already holds (the source's, sized as the
// saved file's preview would be), never by decoding the saved 4K file again.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterEach, describe, expect, it } from "vitest";
import { makePreview } from "../../src/imaging/preview.js";
import { upscaleExisting } from "../../src/usecases/upscale.js";
import { Workspace } from "../../src/workspace/workspace.js";
import { noisePicture } from "../helpers/pictures.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function upscaled(warmPreview: boolean) {
  const dir = mkdtempSync(join(tmpdir(), "pw-upscale-preview-"));
  dirs.push(dir);
  const workspace = new Workspace(dir, []);
  await workspace.init();
  const path = join(dir, "master.png");
  writeFileSync(path, await noisePicture(512, 288, 5));
  const result = await upscaleExisting(workspace, { path, size: "2048x1152", warmPreview }, { model: "gpt-image-2" });
  expect(result.image).toMatchObject({ width: 2048, height: 1152, verified: true });
  return result.image.path;
}

describe("the preview of an upscaled file", () => {
  it("comes from the pixels in hand: it is there even when the saved file is gone", async () => {
    const saved = await upscaled(true);
    rmSync(saved);
    const preview = await makePreview(saved, false);
    expect(preview).toMatchObject({ mimeType: "image/jpeg" });
    const meta = await sharp(Buffer.from(preview.data, "base64")).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["jpeg", 1024, 576]);
  });

  it("is sized as the saved file's would be (1024x576 for 2048x1152), not as the 512x288 source's", async () => {
    const preview = await makePreview(await upscaled(true), false);
    expect([preview.width, preview.height]).toEqual([1024, 576]);
  });

  it("is not made in advance when the caller shows none: a later preview reads the saved file", async () => {
    const saved = await upscaled(false);
    rmSync(saved);
    await expect(makePreview(saved, false)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
