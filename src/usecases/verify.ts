// Verification of images that already exist: a file in the allowed roots (against its production record), or a
// remote URL (downloaded under the guards, never saved).

import { basename, dirname } from "node:path";
import { imageReport } from "../contract/results.js";
import type { ImageReport } from "../contract/schemas.js";
import { parseSize } from "../contract/sizes.js";
import { type Expectation, judge } from "../contract/verdict.js";
import { InputError } from "../errors.js";
import { measureBuffer, measureFile } from "../imaging/inspect.js";
import { type DownloadPolicy, downloadImage } from "../upstream/download.js";
import type { Workspace } from "../workspace/workspace.js";
import { imageUri } from "./generate/save.js";

export interface VerifyResult {
  status: "verified" | "mismatch" | "unverifiable";
  images: ImageReport[];
}

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

/** Measures a remote image (downloaded under the guards, never saved) against an expectation. */
export async function verifyUrl(
  url: string,
  policy: DownloadPolicy,
  expected: Expectation,
  signal?: AbortSignal,
): Promise<VerifyResult> {
  const downloaded = await downloadImage(url, policy, signal);
  const measured = await measureBuffer(downloaded.bytes);
  const verdict = judge(measured, expected);
  const report = imageReport({ path: downloaded.finalUrl, uri: downloaded.finalUrl }, measured, expected, verdict);
  return { status: verdictStatus(verdict.verified, expected), images: [report] };
}

/** Measures a file; without an explicit expectation, its production record says what was asked for. */
export async function verifyPath(
  workspace: Workspace,
  path: string,
  given: { expectedSize?: string | undefined; expectedFormat?: string | undefined },
  workspaceOnly = false,
): Promise<VerifyResult> {
  const real = await workspace.resolveReadable(path, "path", workspaceOnly);
  const expected = expectation(given.expectedSize, given.expectedFormat);
  const record = await workspace.readSidecar(real);
  if (!given.expectedSize && record?.expected_size) {
    const [w, h] = record.expected_size.split("x").map(Number);
    if (w && h) Object.assign(expected, { width: w, height: h });
  }
  if (!given.expectedFormat && record?.expected_format) expected.format = record.expected_format;

  const measured = await measureFile(real);
  let { verified, mismatch } = judge(measured, expected);
  if (record?.saved.sha256 && record.saved.sha256 !== measured.sha256) {
    verified = false;
    mismatch = `${mismatch ? `${mismatch} ` : ""}The file changed since it was saved: its sha256 differs from the production record.`;
  }
  const root = await workspace.init();
  const uri = dirname(real) === root ? imageUri(basename(real)) : `file://${real}`;
  const report = imageReport({ path: real, uri }, measured, expected, { verified, mismatch });
  // A derivative made locally says so in its record (decision "…upscale"); it is never shown as native.
  if (record && /upscale/.test(record.decision)) report.upscaled = true;
  return { status: verdictStatus(verified, expected), images: [report] };
}
