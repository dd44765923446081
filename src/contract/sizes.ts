// Size parsing, validation and suggestions (SPEC section 1). Pure: never throws, never does I/O.

import {
  type ActiveModel,
  DEFAULT_MODEL,
  type FlexibleSizeRules,
  GATEWAY_TIERS,
  lookupModel,
  MODELS,
  type SizeRules,
} from "./models.js";
import { findPreset, KNOWN_RESOLUTIONS } from "./presets.js";

export const VIOLATION_RULES = [
  "format",
  "max_edge",
  "multiple_of_16",
  "aspect_ratio",
  "min_pixels",
  "max_pixels",
  "model_sizes",
  "model_retired",
  "unknown_model",
] as const;
export type ViolationRule = (typeof VIOLATION_RULES)[number];

export interface Violation {
  rule: ViolationRule;
  message: string;
}

export const SUGGESTION_KINDS = ["intent", "nearest", "stable_master", "tier", "model_size"] as const;
export type SuggestionKind = (typeof SUGGESTION_KINDS)[number];

export interface Suggestion {
  size: string;
  width: number;
  height: number;
  why: string;
  kind: SuggestionKind;
}

export interface SizeReport {
  ok: boolean;
  input: string;
  model: string;
  /** The model whose rules were applied (the replacement of a retired model, gpt-image-2 for unknown names). */
  rules_model: string;
  size: string | null;
  width: number | null;
  height: number | null;
  pixels: number | null;
  aspect_ratio: string | null;
  experimental: boolean;
  preset: string | null;
  tier: string | null;
  violations: Violation[];
  suggestions: Suggestion[];
  notes: string[];
}

export type ParsedSize =
  | { kind: "auto" }
  | { kind: "dims"; width: number; height: number; preset?: string; tier?: string }
  | { kind: "error"; message: string };

const MAX_ECHO = 200;
const DIMS = /^(\d{1,9})\s*[x×*]\s*(\d{1,9})$/i;
const TIER = /^(\d{1,2})\s*:\s*(\d{1,2})\s*\(\s*([24])\s*k\s*\)$/i;
const ACCEPTED_FORMS =
  "WIDTHxHEIGHT such as 3840x2160, a preset such as 4k-landscape, a tier such as 16:9(4K), or auto";

export function formatSize(width: number, height: number): string {
  return `${width}x${height}`;
}

export function parseSize(raw: string): ParsedSize {
  const text = raw.trim();
  if (text === "") return { kind: "error", message: `The size is empty: give ${ACCEPTED_FORMS}.` };
  if (text.toLowerCase() === "auto") return { kind: "auto" };
  const preset = findPreset(text);
  if (preset) return { kind: "dims", width: preset.width, height: preset.height, preset: preset.name };
  const tier = TIER.exec(text);
  if (tier) {
    const name = `${tier[1]}:${tier[2]}(${tier[3]}K)`;
    const dims = GATEWAY_TIERS[name];
    if (!dims) {
      return {
        kind: "error",
        message: `Unknown tier '${clip(text)}': known tiers are ${Object.keys(GATEWAY_TIERS).join(", ")}.`,
      };
    }
    return { kind: "dims", width: dims[0], height: dims[1], tier: name };
  }
  const dims = DIMS.exec(text);
  if (dims) {
    const width = Number(dims[1]);
    const height = Number(dims[2]);
    if (width === 0 || height === 0) {
      return { kind: "error", message: `Width and height must be positive in '${clip(text)}'.` };
    }
    return { kind: "dims", width, height };
  }
  return { kind: "error", message: `Cannot read '${clip(text)}' as a size: give ${ACCEPTED_FORMS}.` };
}

function clip(text: string): string {
  const safe = text.replace(/\p{Cc}/gu, "?");
  return safe.length > 60 ? `${safe.slice(0, 60)}…` : safe;
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y) [x, y] = [y, x % y];
  return x;
}

const COMMON_RATIOS: readonly [number, number][] = [
  [1, 1],
  [5, 4],
  [4, 3],
  [3, 2],
  [16, 10],
  [16, 9],
  [2, 1],
  [21, 9],
  [3, 1],
];

/** "16:9" when exact with small terms; "~16:9" when within 1.5 % of a common ratio; else "1.90:1". */
export function aspectLabel(width: number, height: number): string {
  const d = gcd(width, height);
  const a = width / d;
  const b = height / d;
  if (a <= 21 && b <= 21) return `${a}:${b}`;
  const ratio = width / height;
  for (const [p, q] of COMMON_RATIOS) {
    if (Math.abs(Math.log(ratio / (p / q))) <= 0.015) return `~${p}:${q}`;
    if (Math.abs(Math.log(ratio / (q / p))) <= 0.015) return `~${q}:${p}`;
  }
  return ratio >= 1 ? `${ratio.toFixed(2)}:1` : `1:${(1 / ratio).toFixed(2)}`;
}

function fmt(n: number): string {
  return n.toLocaleString("en-US");
}

/** Every rule of the flexible contract that (width, height) breaks, each with a sentence. */
function flexibleViolations(width: number, height: number, rules: FlexibleSizeRules, label: string): Violation[] {
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

function isValidFor(width: number, height: number, rules: SizeRules): boolean {
  if (rules.kind === "fixed") return rules.sizes.some(([w, h]) => w === width && h === height);
  return flexibleViolations(width, height, rules, "").length === 0;
}

interface Candidate {
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
function nearest(width: number, height: number, rules: SizeRules, count: number): Candidate[] {
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
function stableMaster(width: number, height: number, rules: FlexibleSizeRules): Candidate | undefined {
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

/** Two whole numbers in an otherwise unreadable size ("1920 by 1080", "1920,1080") are a likely intent. */
function salvageDims(text: string): [number, number] | undefined {
  const numbers = text.match(/\d{1,6}/g);
  if (numbers?.length !== 2) return undefined;
  const [w, h] = numbers.map(Number) as [number, number];
  return w > 0 && h > 0 ? [w, h] : undefined;
}

export function validateSize(rawInput: unknown, rawModel?: unknown): SizeReport {
  const input = typeof rawInput === "string" ? rawInput : rawInput === undefined ? "" : String(rawInput);
  const modelName = typeof rawModel === "string" && rawModel.trim() !== "" ? rawModel.trim() : DEFAULT_MODEL;
  const violations: Violation[] = [];
  const notes: string[] = [];
  const suggestions: Suggestion[] = [];

  const lookup = lookupModel(modelName);
  let model: ActiveModel;
  if (lookup.kind === "known" && lookup.spec.status === "retired") {
    const replacement = MODELS.get(lookup.spec.replacement) as ActiveModel;
    violations.push({
      rule: "model_retired",
      message: `${lookup.spec.id} was shut down on ${lookup.spec.since}; use ${replacement.id} instead.`,
    });
    notes.push(`The size was checked against ${replacement.id}, the replacement for ${lookup.spec.id}.`);
    model = replacement;
  } else if (lookup.kind === "known" && lookup.spec.status === "active") {
    model = lookup.spec;
  } else if (lookup.kind === "unknown") {
    model = lookup.assumed;
  } else {
    model = MODELS.get(DEFAULT_MODEL) as ActiveModel;
    violations.push({
      rule: "unknown_model",
      message: `'${clip(modelName)}' cannot be a model name; use a model id such as ${DEFAULT_MODEL}.`,
    });
  }
  const rulesModel = lookup.kind === "unknown" ? DEFAULT_MODEL : model.id;
  if (model.sizeNote && violations.length === 0) notes.push(model.sizeNote);

  const report: SizeReport = {
    ok: false,
    input: input.length > MAX_ECHO ? `${input.slice(0, MAX_ECHO)}…` : input,
    model: lookup.kind === "known" ? lookup.spec.id : lookup.id,
    rules_model: rulesModel,
    size: null,
    width: null,
    height: null,
    pixels: null,
    aspect_ratio: null,
    experimental: false,
    preset: null,
    tier: null,
    violations,
    suggestions,
    notes,
  };

  const rules = model.sizes;
  const addSuggestion = (c: { width: number; height: number }, kind: SuggestionKind, why: string, size?: string) => {
    const name = size ?? formatSize(c.width, c.height);
    if (suggestions.some((s) => s.size === name)) return;
    suggestions.push({ size: name, width: c.width, height: c.height, why, kind });
  };
  const addStableMaster = (width: number, height: number) => {
    if (rules.kind !== "flexible" || width * height <= rules.experimentalAbove) return;
    const master = stableMaster(width, height, rules);
    if (master) {
      addSuggestion(
        master,
        "stable_master",
        `the largest stable size of this shape (${fmt(master.pixels)} pixels, not experimental): a 2K master to upscale from`,
      );
    }
  };
  const suggestNearest = (width: number, height: number) => {
    const known = KNOWN_RESOLUTIONS.find((k) => k.width === width && k.height === height);
    if (known && isValidFor(known.intent[0], known.intent[1], rules)) {
      addSuggestion(
        { width: known.intent[0], height: known.intent[1] },
        "intent",
        `keeps the ${known.name} intent within the size rules`,
      );
    }
    for (const near of nearest(width, height, rules, 2)) {
      const why =
        rules.kind === "fixed"
          ? `the closest shape ${model.id} offers`
          : `a nearest valid size: ${aspectLabel(near.width, near.height)}, ${fmt(near.pixels)} pixels`;
      addSuggestion(near, rules.kind === "fixed" ? "model_size" : "nearest", why);
    }
    const first = suggestions[0];
    if (first) addStableMaster(first.width, first.height);
  };

  const parsed = parseSize(input);
  if (parsed.kind === "error") {
    violations.push({ rule: "format", message: parsed.message });
    const salvaged = salvageDims(input);
    if (salvaged) suggestNearest(salvaged[0], salvaged[1]);
    return report;
  }

  if (parsed.kind === "auto") {
    if (!model.supportsAuto) {
      violations.push({ rule: "model_sizes", message: `${model.id} does not accept size auto.` });
    }
    notes.push(
      "auto lets the model choose the size: the saved file is measured, but there is no size to verify it against.",
    );
    report.size = "auto";
    report.ok = violations.length === 0;
    return report;
  }

  const { width, height } = parsed;
  const size = formatSize(width, height);
  report.width = width;
  report.height = height;
  report.pixels = width * height;
  report.aspect_ratio = aspectLabel(width, height);
  report.size = size;
  report.preset = parsed.preset ?? null;
  if (parsed.tier) {
    const tierModel = model.tiers?.[parsed.tier] !== undefined;
    report.tier = tierModel ? parsed.tier : null;
    if (!tierModel) {
      notes.push(`${parsed.tier} is a gateway tier name; ${model.id} is sent the size ${size}.`);
    }
  }
  if (parsed.preset) notes.push(`Preset ${parsed.preset} is ${size}.`);

  if (rules.kind === "flexible") {
    const label = parsed.tier ? `${parsed.tier} (${size})` : size;
    const sizeViolations = flexibleViolations(width, height, rules, label);
    if (report.tier && sizeViolations.length > 0) {
      for (const v of sizeViolations) {
        v.message += ` The gateway cannot deliver ${report.tier} as promised: it must fall back to another size; verify the result.`;
      }
    }
    violations.push(...sizeViolations);
    report.experimental = report.pixels > rules.experimentalAbove;
  } else if (!isValidFor(width, height, rules)) {
    const list = rules.sizes.map(([w, h]) => formatSize(w, h)).join(", ");
    violations.push({
      rule: "model_sizes",
      message: `${model.id} accepts only ${list}${model.supportsAuto ? " or auto" : ""}; ${size} is not one of them.`,
    });
    notes.push(`For ${size} use a flexible-size model such as ${DEFAULT_MODEL}.`);
  }

  const sizeOk = !violations.some((v) => v.rule !== "model_retired" && v.rule !== "unknown_model");
  report.ok = violations.length === 0;

  if (!sizeOk) {
    if (report.tier) {
      const sameShape2K = report.tier.replace("(4K)", "(2K)");
      const dims = model.tiers?.[sameShape2K];
      if (dims && sameShape2K !== report.tier && isValidFor(dims[0], dims[1], rules)) {
        addSuggestion(
          { width: dims[0], height: dims[1] },
          "tier",
          `the same shape as a tier within the limits (${formatSize(dims[0], dims[1])})`,
          sameShape2K,
        );
      }
    }
    suggestNearest(width, height);
  } else {
    if (report.experimental && rules.kind === "flexible") {
      notes.push(
        `${size} is above 2560x1440 (${fmt(rules.experimentalAbove)} pixels): output is experimental — quality may vary and generation is slower (often 60-180 s).`,
      );
    }
    addStableMaster(width, height);
  }
  return report;
}

/** One sentence for people: what the verdict is and what to do. */
export function summarizeSizeReport(report: SizeReport): string {
  const size = report.size ?? report.input;
  if (report.ok) {
    if (report.size === "auto") return `auto is valid for ${report.model}: the model picks the size.`;
    const extra = report.experimental ? " (experimental: above 2560x1440)" : "";
    return `${size} is valid for ${report.model}${extra}: ${fmt(report.pixels ?? 0)} pixels, ${report.aspect_ratio}.`;
  }
  const first = report.suggestions[0];
  const rules = report.violations.map((v) => v.rule).join(", ");
  const fix = first ? ` Try ${first.size} (${first.why}).` : "";
  return `${size} is not valid for ${report.model} (${rules}).${fix}`;
}
