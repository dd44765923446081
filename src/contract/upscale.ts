// The rules of a local upscale: which kernels, which targets are acceptable for a source, and the decision every
// result and record states. Pure.

import type { SizeRules } from "./models.js";
import { isValidFor, nearest } from "./size-grid.js";

/**
 * The kernels worth offering for an enlargement with sharp. sharp (libvips 8.18) enlarges by interpolation: its
 * lanczos3, lanczos2, mitchell and cubic kernels all become the bicubic interpolator when enlarging (the kernels shape
 * reductions only: measured, the outputs are byte-identical), linear becomes bilinear, nearest stays nearest. So three
 * different results exist; lanczos3 is kept as the default name and its interpolation is recorded as what it is.
 */
export const UPSCALE_METHODS = ["lanczos3", "cubic", "linear", "nearest"] as const;
export type UpscaleMethod = (typeof UPSCALE_METHODS)[number];
export const DEFAULT_UPSCALE_METHOD: UpscaleMethod = "lanczos3";

/** What sharp really does for each method when it enlarges. */
export const INTERPOLATION: Readonly<Record<UpscaleMethod, "bicubic" | "bilinear" | "nearest">> = {
  lanczos3: "bicubic",
  cubic: "bicubic",
  linear: "bilinear",
  nearest: "nearest",
};

/** The largest change of aspect ratio an upscale accepts (1 %): beyond it the picture would be stretched. */
export const MAX_ASPECT_CHANGE = 0.01;

export type UpscaleRefusal = { kind: "downscale"; message: string } | { kind: "aspect"; message: string } | null;

export function aspectChange(from: { width: number; height: number }, to: { width: number; height: number }): number {
  return Math.abs(to.width / to.height / (from.width / from.height) - 1);
}

/** Why a target cannot be made from a source by enlarging it, in one sentence; null when it can. */
export function upscaleRefusal(
  source: { width: number; height: number },
  target: { width: number; height: number },
): UpscaleRefusal {
  const from = `${source.width}x${source.height}`;
  const to = `${target.width}x${target.height}`;
  if (target.width < source.width || target.height < source.height) {
    return {
      kind: "downscale",
      message: `${to} is smaller than the source (${from}) in at least one edge: upscale_image only enlarges. Ask for a size at least ${from}.`,
    };
  }
  if (target.width === source.width && target.height === source.height) {
    return { kind: "downscale", message: `the source is already ${from}: there is nothing to upscale.` };
  }
  const change = aspectChange(source, target);
  if (change > MAX_ASPECT_CHANGE) {
    return {
      kind: "aspect",
      message: `${to} changes the aspect ratio of the ${from} source by ${(change * 100).toFixed(1)}% (at most 1% is accepted, so nothing is stretched).`,
    };
  }
  return null;
}

/** The scale factor of an upscale, as a number with 4 decimals (the larger of the two edges' factors). */
export function upscaleFactor(source: { width: number; height: number }, target: { width: number; height: number }) {
  return Math.round(Math.max(target.width / source.width, target.height / source.height) * 10_000) / 10_000;
}

/** How the delivered file came to be: every result and record says it. */
export type Decision = "native" | "master+upscale" | `fallback: ${string}`;

/**
 * The valid size of the source's own shape (within 1%) closest in area to what was asked, never smaller than the
 * source: what to ask for instead of a size that would stretch the picture. Null when the rules offer none.
 */
export function sameShapeSize(
  source: { width: number; height: number },
  asked: { width: number; height: number },
  rules: SizeRules,
): { width: number; height: number } | null {
  const scale = Math.sqrt((asked.width * asked.height) / (source.width * source.height));
  const fits = (c: { width: number; height: number }) =>
    aspectChange(source, c) <= MAX_ASPECT_CHANGE &&
    c.width >= source.width &&
    c.height >= source.height &&
    isValidFor(c.width, c.height, rules);
  for (const s of [scale, scale * 0.97, scale * 1.03, scale * 0.9, scale * 1.1]) {
    const found = nearest(source.width * s, source.height * s, rules, 8).find(fits);
    if (found) return { width: found.width, height: found.height };
  }
  return null;
}
