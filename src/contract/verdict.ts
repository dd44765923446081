// Whether a measured file is what was asked for, and the sentence that says so. Pure.

import { normalizeFormat } from "./formats.js";

export interface Expectation {
  /** null for size auto (or no expectation at all): measured, but nothing to verify against. */
  width: number | null;
  height: number | null;
  format: string | null;
  /** A GIF's frame_count when it was asked for; null or absent: frames are measured, not verified. */
  frames?: number | null;
}

export interface Verdict {
  verified: boolean;
  mismatch: string | null;
}

/** `subject` names what was measured when it is not a saved file (a URL's image is never saved). */
export function judge(
  measured: { width: number; height: number; format: string; frames?: number | undefined },
  expected: Expectation,
  subject?: string,
): Verdict {
  const problems: string[] = [];
  if (expected.width !== null && expected.height !== null) {
    if (measured.width !== expected.width || measured.height !== expected.height) {
      problems.push(
        `Requested ${expected.width}x${expected.height} but ${subject ?? "the saved file"} is ${measured.width}x${measured.height}`,
      );
    }
  }
  if (expected.format !== null && normalizeFormat(measured.format) !== normalizeFormat(expected.format)) {
    problems.push(
      `${problems.length ? "and" : "Requested"} ${expected.format.toUpperCase()} but ${subject ?? "the file"} is ${measured.format.toUpperCase()}`,
    );
  }
  const frames = measured.frames ?? 1;
  if (expected.frames != null && frames !== expected.frames) {
    problems.push(
      `${problems.length ? "and" : "Requested"} ${expected.frames} frames but ${subject ?? "the saved file"} has ${frames}`,
    );
  }
  if (problems.length > 0) return { verified: false, mismatch: `${problems.join(" ")}.` };
  if (expected.width === null && expected.format === null) {
    return { verified: false, mismatch: "Nothing to verify against: the size was auto (measured only)." };
  }
  if (expected.width === null) {
    return {
      verified: false,
      mismatch: "The size was auto: measured, but there is no requested size to verify against.",
    };
  }
  return { verified: true, mismatch: null };
}
