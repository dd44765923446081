// Verification of images that already exist: a file in the allowed roots (against its production record), or a
// remote URL (downloaded under the guards, never saved).

import { basename, dirname } from "node:path";
import { imageReport } from "../contract/results.js";
import type { EffectiveResolution, ImageReport, SidecarRecord } from "../contract/schemas.js";
import { parseSize } from "../contract/sizes.js";
import { type Expectation, expectedFrames, judge } from "../contract/verdict.js";
import { errorMessage, InputError } from "../errors.js";
import { admitImage, HEADER_BYTES } from "../imaging/admit.js";
import { estimateDetail } from "../imaging/detail.js";
import { measureBuffer } from "../imaging/inspect.js";
import { type DownloadPolicy, downloadImage } from "../upstream/download.js";
import type { ReadAccess, Workspace } from "../workspace/workspace.js";
import { imageUri } from "./generate/save.js";

export interface VerifyResult {
  status: "verified" | "mismatch" | "unverifiable";
  images: ImageReport[];
}

/** A verified file and the bytes that were measured (read once, by descriptor: previews use these, never the name). */
export interface VerifiedFile {
  result: VerifyResult;
  bytes: Buffer;
}

/** The largest file verify_image reads (a 4K PNG is about 25 MB). */
export const MAX_VERIFY_BYTES = 64 * 1024 * 1024;

export function expectation(expectedSize?: string, expectedFormat?: string): Expectation {
  const expected: Expectation = { width: null, height: null, format: expectedFormat ?? null };
  if (!expectedSize) return expected;
  const parsed = parseSize(expectedSize);
  if (parsed.kind === "error") throw new InputError(`expected_size: ${parsed.message}`, "expected_size");
  return parsed.kind === "dims" ? { ...expected, width: parsed.width, height: parsed.height } : expected;
}

function verdictStatus(verified: boolean, expected: Expectation): VerifyResult["status"] {
  if (verified) return "verified";
  return expected.width === null && expected.format === null ? "unverifiable" : "mismatch";
}

/** The measured estimate (heuristic) of how much detail an image carries; undecodable pixels are an input error. */
export async function measuredDetail(input: string | Buffer, what?: string): Promise<EffectiveResolution> {
  const estimate = await estimateDetail(input, what);
  return {
    heuristic: true,
    source: "pixels",
    likely_upscaled: estimate.likely_upscaled,
    effective_width: estimate.effective_width,
    effective_height: estimate.effective_height,
    factor: estimate.factor,
    trace_strength: estimate.trace_strength,
    note: estimate.likely_upscaled
      ? `Likely upscaled: it carries no more detail than a ${estimate.effective_width}x${estimate.effective_height} image would. ${estimate.note}`
      : `No enlargement trace found. ${estimate.note}`,
  };
}

/** What a record or report that states an upscale says: it wins over the heuristic. */
export function statedDetail(
  image: { width: number; height: number },
  source: { path: string; width: number; height: number },
): EffectiveResolution {
  return {
    heuristic: false,
    source: "record",
    likely_upscaled: true,
    effective_width: source.width,
    effective_height: source.height,
    factor: Math.round(Math.max(image.width / source.width, image.height / source.height) * 1000) / 1000,
    trace_strength: null,
    note: `The production record states this file was upscaled locally from ${source.width}x${source.height} (${source.path}).`,
  };
}

/**
 * Adds the effective resolution to the images of a generation result: stated for upscales, measured otherwise from
 * the bytes `read` gives (the workspace opener); a file that is gone or unreadable gets none (its verdict says why).
 */
export async function withDetail(
  images: ImageReport[],
  read: (path: string) => Promise<Buffer | null>,
): Promise<ImageReport[]> {
  const out: ImageReport[] = [];
  for (const image of images) {
    if (image.upscaled && image.master) {
      out.push({ ...image, effective_resolution: statedDetail(image, image.master) });
      continue;
    }
    const bytes = await read(image.path).catch(() => null);
    const effective = bytes ? await measuredDetail(bytes).catch(() => null) : null;
    out.push(effective ? { ...image, effective_resolution: effective } : image);
  }
  return out;
}

function recordedUpscale(record: SidecarRecord | null) {
  const u = record?.upscale;
  return u ? { path: u.source_path, width: u.source_width, height: u.source_height } : null;
}

/** Measures a remote image (downloaded under the guards, never saved) against an expectation. */
export async function verifyUrl(
  url: string,
  policy: DownloadPolicy,
  expected: Expectation,
  signal?: AbortSignal,
): Promise<VerifyResult> {
  const downloaded = await downloadImage(url, policy, signal);
  const measured = await measureBuffer(downloaded.bytes, "the downloaded image");
  const verdict = judge(measured, expected, "the downloaded image");
  const report = {
    ...imageReport({ path: downloaded.finalUrl, uri: downloaded.finalUrl }, measured, expected, verdict),
    decision: "unknown: not produced by this server",
    effective_resolution: await measuredDetail(downloaded.bytes, "the downloaded image"),
  };
  return { status: verdictStatus(verdict.verified, expected), images: [report] };
}

/** Opens the file once, admits it from its header, then reads it whole (under the cap) from the same descriptor. */
async function readAdmitted(workspace: Workspace, path: string, workspaceOnly: ReadAccess) {
  const file = await workspace.open(path, "path", { workspaceOnly, maxBytes: MAX_VERIFY_BYTES });
  try {
    admitImage(await file.head(HEADER_BYTES), `path '${path}'`);
    return { real: file.path, bytes: await file.readAll() };
  } finally {
    await file.close();
  }
}

/** Measures a file; without an explicit expectation, its production record says what was asked for. */
export async function verifyPath(
  workspace: Workspace,
  path: string,
  given: { expectedSize?: string | undefined; expectedFormat?: string | undefined },
  workspaceOnly: ReadAccess = false,
): Promise<VerifiedFile> {
  const expected = expectation(given.expectedSize, given.expectedFormat);
  const { real, bytes } = await readAdmitted(workspace, path, workspaceOnly);
  const record = await workspace.readSidecar(real);
  if (!given.expectedSize && record?.expected_size) {
    const [w, h] = record.expected_size.split("x").map(Number);
    if (w && h) Object.assign(expected, { width: w, height: h });
  }
  if (!given.expectedFormat && record?.expected_format) expected.format = record.expected_format;
  // A GIF pixelwright made is verified for its frames too, from the record.
  if (record) expected.frames = expectedFrames(expected.format, record.requested.frame_count);

  const measured = await measureBuffer(bytes, `path '${path}'`);
  let { verified, mismatch } = judge(measured, expected);
  if (record?.saved.sha256 && record.saved.sha256 !== measured.sha256) {
    verified = false;
    mismatch = `${mismatch ? `${mismatch} ` : ""}The file changed since it was saved: its sha256 differs from the production record.`;
  }
  const root = await workspace.init();
  const uri = dirname(real) === root ? imageUri(basename(real)) : `file://${real}`;
  // A derivative made locally says so in its record; it is never shown as native, and the record wins over the
  // heuristic.
  const stated = recordedUpscale(record);
  const report: ImageReport = {
    ...imageReport({ path: real, uri }, measured, expected, { verified, mismatch }),
    decision: record ? record.decision : "unknown: no production record beside the file",
    // Only a file made by a local upscale is upscaled: a strategy master's record says "master+upscale" as its
    // decision, but the master itself is native.
    upscaled: stated !== null,
    master: stated,
    effective_resolution: stated ? statedDetail(measured, stated) : await measuredDetail(bytes, `path '${path}'`),
  };
  return { result: { status: verdictStatus(verified, expected), images: [report] }, bytes };
}

/**
 * A collected job's image, measured again from the disk every time and compared with the record: a file deleted,
 * replaced or edited since it was saved is never reported as verified from memory.
 */
export async function remeasure(workspace: Workspace, image: ImageReport, format: string | null): Promise<ImageReport> {
  let measured: Awaited<ReturnType<typeof measureBuffer>>;
  try {
    const { bytes } = await readAdmitted(workspace, image.path, false);
    measured = await measureBuffer(bytes, `path '${image.path}'`);
  } catch (err) {
    return {
      ...image,
      verified: false,
      mismatch: `The file no longer exists or cannot be read at ${image.path} (${errorMessage(err)}); it was saved with sha256 ${image.sha256}.`,
    };
  }
  const [width, height] = image.requested_size?.split("x").map(Number) ?? [];
  const record = await workspace.readSidecar(image.path).catch(() => null);
  const frames = expectedFrames(format, record?.requested.frame_count);
  const expected: Expectation = { width: width ?? null, height: height ?? null, format, frames };
  let { verified, mismatch } = judge(measured, expected);
  if (measured.sha256 !== image.sha256) {
    verified = false;
    mismatch = `${mismatch ? `${mismatch} ` : ""}The file changed since it was saved: its sha256 differs from the record.`;
  }
  const report = imageReport(image, measured, expected, { verified, mismatch }, image.revised_prompt);
  return { ...report, upscaled: image.upscaled, decision: image.decision, master: image.master };
}
