// The truth about one image in one line, shared by the viewer and the gallery. Pure: no DOM, no I/O.

/** The fields of an ImageReport (or a production record) the views read; every one may be missing. */
export interface ImageFacts {
  path?: string;
  uri?: string;
  file?: string;
  width?: number;
  height?: number;
  format?: string;
  bytes?: number;
  has_alpha?: boolean;
  requested_size?: string | null;
  verified?: boolean;
  mismatch?: string | null;
  experimental?: boolean;
  upscaled?: boolean;
  likely_upscaled?: boolean | null;
  /** verify_image's estimate of the detail the file really carries (a heuristic unless a record states it). */
  effective_resolution?: {
    likely_upscaled?: boolean;
    heuristic?: boolean;
    effective_width?: number;
    effective_height?: number;
  };
  /** Per image: native, master+upscale, or fallback: <reason>. */
  decision?: string;
}

/** The fields of a generation result (or a production record) shown after the truth line. */
export interface RunFacts {
  provider?: string;
  model?: string;
  cost_usd?: number | null;
  cost_estimate_usd?: number | null;
  elapsed_ms?: number | null;
  decision?: string | null;
}

export type BadgeKind = "ok" | "bad" | "warn" | "info";

export interface Badge {
  /** Stable key for tests and styling. */
  key: "verified" | "mismatch" | "unverified" | "experimental" | "upscaled" | "likely-upscaled" | "transparent";
  text: string;
  kind: BadgeKind;
}

export interface Truth {
  /** "3840x2160" as measured from the saved file. */
  measured: string;
  /** "requested 3840x2160", "size auto" or "" when unknown. */
  requested: string;
  badges: Badge[];
  /** The mismatch sentence, when there is one. */
  note: string | null;
}

export function truthOf(image: ImageFacts): Truth {
  const measured = image.width && image.height ? `${image.width}x${image.height}` : "size unknown";
  // Results leave null fields out: a measured image (verified is set) without requested_size was size auto.
  const requested =
    typeof image.requested_size === "string"
      ? `requested ${image.requested_size}`
      : image.requested_size === null || image.verified !== undefined
        ? "size auto"
        : "";
  const badges: Badge[] = [];
  if (image.verified === true) badges.push({ key: "verified", text: "verified", kind: "ok" });
  else if (image.requested_size) badges.push({ key: "mismatch", text: "mismatch", kind: "bad" });
  else if (image.verified === false) badges.push({ key: "unverified", text: "not verifiable", kind: "warn" });
  if (image.experimental) badges.push({ key: "experimental", text: "experimental", kind: "warn" });
  if (image.upscaled) badges.push({ key: "upscaled", text: "upscaled", kind: "info" });
  const effective = image.effective_resolution;
  if (!image.upscaled && (image.likely_upscaled || effective?.likely_upscaled)) {
    const from =
      effective?.effective_width && effective.effective_height
        ? ` from ~${effective.effective_width}x${effective.effective_height}`
        : "";
    const how = effective?.heuristic === false ? "" : " (heuristic)";
    badges.push({ key: "likely-upscaled", text: `likely upscaled${from}${how}`, kind: "warn" });
  }
  if (image.has_alpha) badges.push({ key: "transparent", text: "transparent", kind: "info" });
  return { measured, requested, badges, note: image.verified === true ? null : (image.mismatch ?? null) };
}

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1_048_576) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

function formatCost(run: RunFacts): string {
  if (typeof run.cost_usd === "number") return `$${run.cost_usd.toFixed(4)}`;
  if (typeof run.cost_estimate_usd === "number") return `~$${run.cost_estimate_usd.toFixed(4)} est.`;
  if (run.cost_estimate_usd === null) return "cost unknown";
  return "";
}

/** Format, bytes, cost, elapsed, provider, model, decision: labelled, in that order, empty ones left out. */
export function factsOf(image: ImageFacts, run: RunFacts): Array<{ label: string; value: string }> {
  const facts = [
    { label: "format", value: image.format ? image.format.toUpperCase() : "" },
    { label: "bytes", value: formatBytes(image.bytes) },
    { label: "cost", value: formatCost(run) },
    { label: "elapsed", value: formatMs(run.elapsed_ms) },
    { label: "provider", value: run.provider ?? "" },
    { label: "model", value: run.model ?? "" },
    { label: "decision", value: run.decision ?? image.decision ?? "" },
  ];
  return facts.filter((f) => f.value !== "");
}

/** The bare file name of a path or a pixelwright://images/{name} uri. */
export function fileName(image: ImageFacts): string {
  if (image.file) return image.file;
  const from = image.path ?? image.uri ?? "";
  const name = from.slice(Math.max(from.lastIndexOf("/"), from.lastIndexOf("\\")) + 1);
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}
