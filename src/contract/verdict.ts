// Whether a measured file is what was asked for, and the sentence that says so. Pure.

import { normalizeFormat } from "./formats.js";

export interface Expectation {
  /** null for size auto (or no expectation at all): measured, but nothing to verify against. */
  width: number | null;
  height: number | null;
  format: string | null;
  /**
   * A GIF's frames: frame_count when it was asked for, "animated" when a GIF was asked for without it (the API makes
   * 2-16 frames, so one frame is never what was asked); null or absent: frames are measured, not verified.
   */
  frames?: number | "animated" | null;
}

/** The frames a request for `format` expects (see Expectation.frames). */
export function expectedFrames(
  format: string | null,
  frameCount: number | null | undefined,
): number | "animated" | null {
  if (format === null || normalizeFormat(format) !== "gif") return null;
  return frameCount ?? "animated";
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
  const file = subject ?? "the saved file";
  const lead = problems.length ? "and" : "Requested";
  if (expected.frames === "animated" && frames < 2) {
    problems.push(`${lead} an animated GIF but ${file} has ${frames} frame`);
  } else if (typeof expected.frames === "number" && frames !== expected.frames) {
    problems.push(`${lead} ${expected.frames} frames but ${file} has ${frames}`);
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
