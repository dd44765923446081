// Size parsing, validation and suggestions (SPEC section 1). Pure: never throws, never does I/O.

import { type ActiveModel, DEFAULT_MODEL, GATEWAY_TIERS, lookupModel, MODELS, type SizeRules } from "./models.js";
import { findPreset, KNOWN_RESOLUTIONS } from "./presets.js";
import type { SizeReport, Suggestion, SuggestionKind, Violation } from "./schemas.js";
import { flexibleViolations, fmt, isValidFor, nearest, stableMaster } from "./size-grid.js";

export type { SizeReport, Suggestion, SuggestionKind, Violation, ViolationRule } from "./schemas.js";
export { SUGGESTION_KINDS, VIOLATION_RULES } from "./schemas.js";

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

/** Two whole numbers in an otherwise unreadable size ("1920 by 1080", "1920,1080") are a likely intent. */
function salvageDims(text: string): [number, number] | undefined {
  const numbers = text.match(/\d{1,6}/g);
  if (numbers?.length !== 2) return undefined;
  const [w, h] = numbers.map(Number) as [number, number];
  return w > 0 && h > 0 ? [w, h] : undefined;
}

/** The model a size is judged against: a retired one's replacement, gpt-image-2 rules for unknown names. */
function resolveModel(modelName: string, violations: Violation[], notes: string[]) {
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
  const name = lookup.kind === "known" ? lookup.spec.id : lookup.id;
  const rulesModel = lookup.kind === "unknown" ? DEFAULT_MODEL : model.id;
  if (model.sizeNote && violations.length === 0) notes.push(model.sizeNote);
  return { model, name, rulesModel };
}

/** Collects suggestions without duplicates, in the order they matter. */
class Suggester {
  constructor(
    private readonly suggestions: Suggestion[],
    private readonly model: ActiveModel,
  ) {}

  private get rules(): SizeRules {
    return this.model.sizes;
  }

  add(c: { width: number; height: number }, kind: SuggestionKind, why: string, size?: string): void {
    const name = size ?? formatSize(c.width, c.height);
    if (this.suggestions.some((s) => s.size === name)) return;
    this.suggestions.push({ size: name, width: c.width, height: c.height, why, kind });
  }

  stableMaster(width: number, height: number): void {
    const rules = this.rules;
    if (rules.kind !== "flexible" || width * height <= rules.experimentalAbove) return;
    const master = stableMaster(width, height, rules);
    if (master) {
      this.add(
        master,
        "stable_master",
        `the largest stable size of this shape (${fmt(master.pixels)} pixels, not experimental): a 2K master to upscale from`,
      );
    }
  }

  nearest(width: number, height: number): void {
    const rules = this.rules;
    const known = KNOWN_RESOLUTIONS.find((k) => k.width === width && k.height === height);
    if (known && isValidFor(known.intent[0], known.intent[1], rules)) {
      this.add(
        { width: known.intent[0], height: known.intent[1] },
        "intent",
        `keeps the ${known.name} intent within the size rules`,
      );
    }
    for (const near of nearest(width, height, rules, 2)) {
      const why =
        rules.kind === "fixed"
          ? `the closest shape ${this.model.id} offers`
          : `a nearest valid size: ${aspectLabel(near.width, near.height)}, ${fmt(near.pixels)} pixels`;
      this.add(near, rules.kind === "fixed" ? "model_size" : "nearest", why);
    }
    const first = this.suggestions[0];
    if (first) this.stableMaster(first.width, first.height);
  }

  /** For a 4K tier that breaks the limits: the same shape as a 2K tier. */
  sameShapeTier(tier: string): void {
    const sameShape2K = tier.replace("(4K)", "(2K)");
    const dims = this.model.tiers?.[sameShape2K];
    if (dims && sameShape2K !== tier && isValidFor(dims[0], dims[1], this.rules)) {
      this.add(
        { width: dims[0], height: dims[1] },
        "tier",
        `the same shape as a tier within the limits (${formatSize(dims[0], dims[1])})`,
        sameShape2K,
      );
    }
  }
}

/** The rules a measured (width, height) breaks for this model, and whether it is experimental. */
function sizeViolations(report: SizeReport, model: ActiveModel, notes: string[]): Violation[] {
  const { width, height, size } = report as SizeReport & { width: number; height: number; size: string };
  const rules = model.sizes;
  if (rules.kind === "flexible") {
    const label = report.tier ? `${report.tier} (${size})` : size;
    const found = flexibleViolations(width, height, rules, label);
    if (report.tier && found.length > 0) {
      for (const v of found) {
        v.message += ` The gateway cannot deliver ${report.tier} as promised: it must fall back to another size; verify the result.`;
      }
    }
    report.experimental = width * height > rules.experimentalAbove;
    return found;
  }
  if (isValidFor(width, height, rules)) return [];
  const list = rules.sizes.map(([w, h]) => formatSize(w, h)).join(", ");
  notes.push(`For ${size} use a flexible-size model such as ${DEFAULT_MODEL}.`);
  return [
    {
      rule: "model_sizes",
      message: `${model.id} accepts only ${list}${model.supportsAuto ? " or auto" : ""}; ${size} is not one of them.`,
    },
  ];
}

function emptyReport(input: string, name: string, rulesModel: string, violations: Violation[], notes: string[]) {
  const report: SizeReport = {
    ok: false,
    input: input.length > MAX_ECHO ? `${input.slice(0, MAX_ECHO)}…` : input,
    model: name,
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
    suggestions: [],
    notes,
  };
  return report;
}

function validateAuto(report: SizeReport, model: ActiveModel): SizeReport {
  if (!model.supportsAuto) {
    report.violations.push({ rule: "model_sizes", message: `${model.id} does not accept size auto.` });
  }
  report.notes.push(
    "auto lets the model choose the size: the saved file is measured, but there is no size to verify it against.",
  );
  report.size = "auto";
  report.ok = report.violations.length === 0;
  return report;
}

function validateDims(
  report: SizeReport,
  model: ActiveModel,
  parsed: Extract<ParsedSize, { kind: "dims" }>,
  suggest: Suggester,
): SizeReport {
  const { width, height } = parsed;
  const size = formatSize(width, height);
  const { notes, violations } = report;
  Object.assign(report, {
    width,
    height,
    pixels: width * height,
    aspect_ratio: aspectLabel(width, height),
    size,
    preset: parsed.preset ?? null,
  });
  if (parsed.tier) {
    const tierModel = model.tiers?.[parsed.tier] !== undefined;
    report.tier = tierModel ? parsed.tier : null;
    if (!tierModel) notes.push(`${parsed.tier} is a gateway tier name; ${model.id} is sent the size ${size}.`);
  }
  if (parsed.preset) notes.push(`Preset ${parsed.preset} is ${size}.`);
  violations.push(...sizeViolations(report, model, notes));
  const sizeOk = !violations.some((v) => v.rule !== "model_retired" && v.rule !== "unknown_model");
  report.ok = violations.length === 0;
  if (!sizeOk) {
    if (report.tier) suggest.sameShapeTier(report.tier);
    suggest.nearest(width, height);
    return report;
  }
  const rules = model.sizes;
  if (report.experimental && rules.kind === "flexible") {
    notes.push(
      `${size} is above 2560x1440 (${fmt(rules.experimentalAbove)} pixels): output is experimental — quality may vary and generation is slower (often 60-180 s).`,
    );
  }
  suggest.stableMaster(width, height);
  return report;
}

export function validateSize(rawInput: unknown, rawModel?: unknown): SizeReport {
  const input = typeof rawInput === "string" ? rawInput : rawInput === undefined ? "" : String(rawInput);
  const modelName = typeof rawModel === "string" && rawModel.trim() !== "" ? rawModel.trim() : DEFAULT_MODEL;
  const violations: Violation[] = [];
  const notes: string[] = [];
  const { model, name, rulesModel } = resolveModel(modelName, violations, notes);
  const report = emptyReport(input, name, rulesModel, violations, notes);
  const suggest = new Suggester(report.suggestions, model);
  const parsed = parseSize(input);
  if (parsed.kind === "error") {
    violations.push({ rule: "format", message: parsed.message });
    const salvaged = salvageDims(input);
    if (salvaged) suggest.nearest(salvaged[0], salvaged[1]);
    return report;
  }
  if (parsed.kind === "auto") return validateAuto(report, model);
  return validateDims(report, model, parsed, suggest);
}

/** The largest stable (non-experimental) size of the same shape as WxH for a model, when the model has one. */
export function stableMasterSize(width: number, height: number, model: ActiveModel) {
  return model.sizes.kind === "flexible" ? (stableMaster(width, height, model.sizes) ?? null) : null;
}

/** One sentence for people: what the verdict is and what to do. */
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
