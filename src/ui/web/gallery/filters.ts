// The gallery's entries (manifest lines) read as the shared truth facts, and the filters. Pure.

import type { ImageFacts, RunFacts } from "../shared/truth.js";

export interface Entry {
  file: string;
  created_at: string;
  provider?: string;
  model?: string;
  prompt?: string;
  saved?: { width?: number; height?: number; format?: string; bytes?: number; has_alpha?: boolean };
  expected_size?: string | null;
  verified?: boolean;
  mismatch?: string | null;
  experimental?: boolean;
  upscaled?: boolean;
  likely_upscaled?: boolean;
  decision?: string;
  cost_usd?: number | null;
  cost_estimate_usd?: number | null;
  elapsed_ms?: number | null;
  [field: string]: unknown;
}

export interface Filter {
  status: "all" | "verified" | "mismatch";
  experimental: boolean;
  upscaled: boolean;
  /** "" for every model. */
  model: string;
  /** YYYY-MM-DD bounds on created_at (inclusive), "" for none. */
  from: string;
  to: string;
}

export const NO_FILTER: Filter = { status: "all", experimental: false, upscaled: false, model: "", from: "", to: "" };

export function imageFacts(e: Entry): ImageFacts {
  return {
    file: e.file,
    width: e.saved?.width,
    height: e.saved?.height,
    format: e.saved?.format,
    bytes: e.saved?.bytes,
    has_alpha: e.saved?.has_alpha,
    requested_size: e.expected_size ?? null,
    verified: e.verified === true,
    mismatch: e.mismatch ?? null,
    experimental: e.experimental === true,
    // A file is upscaled when its record says where it was upscaled from; a master's decision names the upscale
    // it fed ("master+upscale"), but the master itself is native.
    upscaled: e.upscaled === true || (typeof e.upscale === "object" && e.upscale !== null),
    likely_upscaled: e.likely_upscaled === true,
    effective_resolution: e.effective_resolution as ImageFacts["effective_resolution"],
    decision: e.decision,
  };
}

export function runFacts(e: Entry): RunFacts {
  return {
    provider: e.provider,
    model: e.model,
    cost_usd: e.cost_usd,
    cost_estimate_usd: e.cost_estimate_usd,
    elapsed_ms: e.elapsed_ms,
    decision: e.decision ?? null,
  };
}

export function matches(e: Entry, f: Filter): boolean {
  const facts = imageFacts(e);
  if (f.status === "verified" && !facts.verified) return false;
  if (f.status === "mismatch" && (facts.verified || !facts.requested_size)) return false;
  if (f.experimental && !facts.experimental) return false;
  if (f.upscaled && !facts.upscaled) return false;
  if (f.model && e.model !== f.model) return false;
  const day = e.created_at.slice(0, 10);
  if (f.from && day < f.from) return false;
  if (f.to && day > f.to) return false;
  return true;
}

export function modelsOf(entries: Entry[]): string[] {
  return [...new Set(entries.map((e) => e.model).filter((m): m is string => typeof m === "string"))].sort();
}
