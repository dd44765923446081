// The steps between bytes that arrived and an ImageReport: keep what is an image, save it atomically, read the
// saved file back, judge it against the request. Also the short-lived partial images of a streamed job.

import { extensionFor, sniffImage } from "../../contract/formats.js";
import type { ValidatedRequest } from "../../contract/request.js";
import { imageReport } from "../../contract/results.js";
import type { ImageReport } from "../../contract/schemas.js";
import { expectedFrames, judge } from "../../contract/verdict.js";
import { errorMessage } from "../../errors.js";
import { measureSaved, sha256Of } from "../../imaging/inspect.js";
import { takeWarmedPreview, warmPreview } from "../../imaging/preview.js";
import { rasterInfo } from "../../imaging/raster.js";
import type { Logger } from "../../log.js";
import type { UpstreamImage } from "../../upstream/types.js";
import { savePreview } from "../../workspace/state.js";
import type { Workspace } from "../../workspace/workspace.js";

export interface DecodedImage {
  bytes: Buffer;
  format: string;
  revisedPrompt: string | null;
  /** Its place among the images the upstream handed over (to find the answer that made it). */
  at: number;
}

export function imageUri(name: string): string {
  return `pixelwright://images/${encodeURIComponent(name)}`;
}

/** The images that are really images; every other one becomes a sentence saying why it was dropped. */
export function usableImages(images: UpstreamImage[]): { decoded: DecodedImage[]; problems: string[] } {
  const decoded: DecodedImage[] = [];
  const problems: string[] = [];
  for (const [i, image] of images.entries()) {
    if ("error" in image) {
      problems.push(`image ${i + 1}: ${image.error}`);
      continue;
    }
    const format = sniffImage(image.bytes);
    if (!format) {
      problems.push(`image ${i + 1} is not an image (no PNG, JPEG, WebP or GIF signature)`);
      continue;
    }
    decoded.push({ bytes: image.bytes, format, revisedPrompt: image.revisedPrompt, at: i });
  }
  return { decoded, problems };
}

export interface SaveOptions {
  workspace: Workspace;
  req: ValidatedRequest;
  /** The file name without extension; several images get -1, -2, … */
  base: string;
  count: number;
  /** Start encoding the default preview while the file is written and measured. */
  warmPreview: boolean;
}

/**
 * Saves one image atomically, measures the saved file, and judges it. Only the save itself can fail the image: a
 * file that was saved but cannot be measured (or previewed) is still reported, with that failure as its mismatch.
 */
export async function saveAndMeasure(image: DecodedImage, index: number, options: SaveOptions): Promise<ImageReport> {
  const { workspace, req, base, count } = options;
  const name = `${base}${count > 1 ? `-${index + 1}` : ""}.${extensionFor(image.format)}`;
  let hasAlpha: boolean | null = null;
  if (options.warmPreview && count <= 2) {
    try {
      hasAlpha = (await rasterInfo(image.bytes)).hasAlpha;
      void warmPreview(workspace.pathOf(name), image.bytes, hasAlpha);
    } catch {
      // the preview is an extra: the tool says so when it cannot make one
    }
  }
  // Hash on this thread while the write runs on the I/O pool; then read the saved file's header back.
  const writing = workspace.save(name, image.bytes);
  const sha = sha256Of(image.bytes);
  const saved = await writing;
  const location = { path: saved.path, uri: imageUri(name) };
  const requested = { width: req.width, height: req.height };
  let measured: Awaited<ReturnType<typeof measureSaved>>;
  try {
    measured = await measureSaved(saved.path, image.bytes, sha);
  } catch (err) {
    const unmeasured = {
      width: 0,
      height: 0,
      format: image.format,
      bytes: image.bytes.length,
      sha256: sha,
      has_alpha: false,
    };
    const mismatch = `Saved, but the file could not be measured (${errorMessage(err)}); it is kept: open it to check what it is.`;
    return imageReport(location, unmeasured, requested, { verified: false, mismatch }, image.revisedPrompt);
  }
  const verdict = judge(measured, {
    width: req.width,
    height: req.height,
    format: req.format,
    frames: expectedFrames(req.format, req.frameCount),
  });
  if (hasAlpha !== null) await keepPreview(workspace, saved.path, hasAlpha, sha);
  return imageReport(location, measured, requested, verdict, image.revisedPrompt);
}

/**
 * The preview encoded from the pixels in memory is kept in the workspace (by the image's sha256): the process that
 * answers with the result may not be this one (a detached runner, another replica), and must not decode the 4K file
 * again to show it.
 */
async function keepPreview(workspace: Workspace, path: string, hasAlpha: boolean, sha: string): Promise<void> {
  const warmed = takeWarmedPreview(path, hasAlpha);
  if (!warmed) return;
  try {
    await savePreview(workspace, sha, await warmed);
  } catch {
    // the preview is an extra: the answer makes one from the file when none was kept
  }
}

/** Partial images of a streamed job: saved as they arrive for peeking, removed when the job ends. */
export class PartialImages {
  private readonly paths: string[] = [];
  private readonly saves: Promise<void>[] = [];

  constructor(
    private readonly workspace: Workspace,
    private readonly base: string,
    private readonly logger: Logger,
  ) {}

  /** Saves one partial; `announce` is called on arrival (before the write) with where it will be. */
  add(index: number, bytes: Buffer | null, aborted: boolean, announce: (path: string) => void): void {
    this.saves.push(this.save(index, bytes, aborted, announce));
  }

  private async save(index: number, bytes: Buffer | null, aborted: boolean, announce: (path: string) => void) {
    const format = bytes ? sniffImage(bytes) : null;
    if (!bytes || !format || aborted) return;
    const name = `${this.base}.partial-${index}.${extensionFor(format)}`;
    // Announce on arrival, not after the write: a notification sent right before the result can be dropped by SDK
    // clients that read both in one chunk (they handle notifications a tick later than responses).
    announce(this.workspace.pathOf(name));
    try {
      const saved = await this.workspace.save(name, bytes);
      this.paths.push(saved.path);
    } catch (err) {
      this.logger.warn({ err }, "could not save a partial image");
    }
  }

  async removeAll(): Promise<void> {
    await Promise.allSettled(this.saves);
    await Promise.all(this.paths.map((p) => this.workspace.removeSaved(p)));
  }
}
