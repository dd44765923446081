// The grid of sizes a rule set accepts, the rules each size breaks, and the nearest valid sizes. Pure.

import type { FlexibleSizeRules, SizeRules } from "./models.js";
import type { Violation } from "./schemas.js";

export function fmt(n: number): string {
  return n.toLocaleString("en-US");
}

/** Every rule of the flexible contract that (width, height) breaks, each with a sentence. */
export function flexibleViolations(
  width: number,
  height: number,
  rules: FlexibleSizeRules,
  label: string,
): Violation[] {
  const out: Violation[] = [];
  const long = Math.max(width, height);
  const short = Math.min(width, height);
  const pixels = width * height;
  if (long > rules.maxEdge) {
    out.push({
      rule: "max_edge",
      message: `The long edge ${long} is over the ${rules.maxEdge}-pixel limit.`,
    });
  }
  if (width % rules.multiple !== 0 || height % rules.multiple !== 0) {
    const bad = [width % rules.multiple ? `width ${width}` : "", height % rules.multiple ? `height ${height}` : ""]
      .filter(Boolean)
      .join(" and ");
    out.push({
      rule: "multiple_of_16",
      message: `Width and height must both be multiples of ${rules.multiple}; ${bad} ${bad.includes(" and ") ? "are" : "is"} not.`,
    });
  }
  if (long / short > rules.maxAspect) {
    out.push({
      rule: "aspect_ratio",
      message: `The aspect ratio ${(long / short).toFixed(2)}:1 is wider than the ${rules.maxAspect}:1 limit.`,
    });
  }
  if (pixels < rules.minPixels) {
    out.push({
      rule: "min_pixels",
      message: `${label} has ${fmt(pixels)} pixels, below the floor of ${fmt(rules.minPixels)}.`,
    });
  }
  if (pixels > rules.maxPixels) {
    out.push({
      rule: "max_pixels",
      message: `${label} has ${fmt(pixels)} pixels, above the ceiling of ${fmt(rules.maxPixels)} (3840x2160).`,
    });
  }
  return out;
}

export function isValidFor(width: number, height: number, rules: SizeRules): boolean {
  if (rules.kind === "fixed") return rules.sizes.some(([w, h]) => w === width && h === height);
  return flexibleViolations(width, height, rules, "").length === 0;
}

export interface Candidate {
  width: number;
  height: number;
  logW: number;
  logH: number;
  pixels: number;
}

const gridCache = new WeakMap<SizeRules, Candidate[]>();

/** All sizes a rule set accepts (about 25k for the flexible rules), computed once per rule set. */
function candidates(rules: SizeRules): Candidate[] {
  const cached = gridCache.get(rules);
  if (cached) return cached;
  const list: Candidate[] = [];
  const push = (width: number, height: number) =>
    list.push({ width, height, logW: Math.log(width), logH: Math.log(height), pixels: width * height });
  if (rules.kind === "fixed") {
    for (const [w, h] of rules.sizes) push(w, h);
  } else {
    for (let w = rules.multiple; w <= rules.maxEdge; w += rules.multiple) {
      for (let h = rules.multiple; h <= rules.maxEdge; h += rules.multiple) {
        if (isValidFor(w, h, rules)) push(w, h);
      }
    }
  }
  gridCache.set(rules, list);
  return list;
}

/**
 * The valid size that changes the request least: the relative change of each edge, plus the change of shape
 * counted once more, so that the shape is kept first and the area second. Ties go to the smaller change of area,
 * then to the larger image.
 */
export function nearest(width: number, height: number, rules: SizeRules, count: number): Candidate[] {
  const lw = Math.log(width);
  const lh = Math.log(height);
  const shape = lw - lh;
  const area = lw + lh;
  const ranked: { c: Candidate; key: [number, number, number] }[] = [];
  const before = (a: [number, number, number], b: [number, number, number]) => {
    for (let i = 0; i < 3; i++) {
      const x = a[i] as number;
      const y = b[i] as number;
      if (Math.abs(x - y) > 1e-9) return x < y;
    }
    return false;
  };
  for (const c of candidates(rules)) {
    const score = Math.abs(c.logW - lw) + Math.abs(c.logH - lh) + Math.abs(c.logW - c.logH - shape);
    const key: [number, number, number] = [score, Math.abs(c.logW + c.logH - area), -c.pixels];
    // Keep only the best `count`, in order: an insertion into a tiny sorted list.
    if (ranked.length === count && !before(key, (ranked[count - 1] as (typeof ranked)[number]).key)) continue;
    let i = ranked.length;
    while (i > 0 && before(key, (ranked[i - 1] as (typeof ranked)[number]).key)) i--;
    ranked.splice(i, 0, { c, key });
    if (ranked.length > count) ranked.pop();
  }
  return ranked.map((r) => r.c);
}

/** The largest non-experimental size of (nearly) the same shape: the "2K master" to upscale from. */
export function stableMaster(width: number, height: number, rules: FlexibleSizeRules): Candidate | undefined {
  const shape = Math.log(width / height);
  let best: Candidate | undefined;
  let bestKey: [number, number] = [Number.POSITIVE_INFINITY, 0];
  for (const c of candidates(rules)) {
    if (c.pixels > rules.experimentalAbove) continue;
    // Shapes within 1 % count as the same; among them the largest wins.
    const drift = Math.abs(c.logW - c.logH - shape);
    const key: [number, number] = [drift <= 0.01 ? 0 : drift, c.pixels];
    if (key[0] < bestKey[0] || (key[0] === bestKey[0] && key[1] > bestKey[1])) {
      best = c;
      bestKey = key;
    }
  }
  return best;
}
