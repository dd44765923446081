// Builders for what the tools return, and the one sentence that leads every result. Pure.
// The shapes themselves are the zod schemas in schemas.ts.

import { FLEXIBLE_RULES } from "./models.js";
import type { GenerationResult, GenerationStatus, ImageReport, MeasuredFile, Requested, Route } from "./schemas.js";

export type { GenerationResult, GenerationStatus, ImageReport, MeasuredFile, Requested } from "./schemas.js";

/** More pixels than this (2560x1440) is officially experimental. */
export const EXPERIMENTAL_PIXELS = FLEXIBLE_RULES.experimentalAbove;

/** The one way an ImageReport is built from a measurement and a verdict. */
export function imageReport(
  location: { path: string; uri: string },
  measured: MeasuredFile,
  requested: { width: number | null; height: number | null },
  verdict: { verified: boolean; mismatch: string | null },
  revisedPrompt: string | null = null,
): ImageReport {
  return {
    path: location.path,
    uri: location.uri,
    ...measured,
    requested_size: requested.width === null ? null : `${requested.width}x${requested.height}`,
    verified: verdict.verified,
    mismatch: verdict.mismatch,
    experimental: measured.width * measured.height > EXPERIMENTAL_PIXELS,
    revised_prompt: revisedPrompt,
    upscaled: false,
    decision: "native",
    master: null,
  };
}

/** What every generation result says about the request, whatever its state. */
export interface ResultIdentity {
  /** null for a dry run: nothing ran. */
  job_id: string | null;
  provider: string;
  route: Route;
  endpoint: string;
  model: string;
  requested: Requested;
}

export const NO_REQUEST: Requested = { size: "", quality: "", output_format: "", background: null, n: 0 };

/** The one builder of a generation result: every state (dry run, running, failed, completed) starts here. */
export function generationResult(
  status: GenerationStatus,
  identity: ResultIdentity,
  fields: Partial<Omit<GenerationResult, "status" | keyof ResultIdentity>> = {},
): GenerationResult {
  return {
    status,
    ...identity,
    images: [],
    caveats: [],
    request_ids: [],
    usage: null,
    cost_estimate_usd: null,
    cost_usd: null,
    failure: null,
    elapsed_ms: 0,
    upstream_ms: null,
    retries: [],
    next: null,
    reused_job: false,
    dry_run: false,
    message: null,
    responses_model: null,
    response_ids: [],
    image_call_ids: [],
    assistant_text: null,
    strategy: "native",
    decision: "native",
    estimates: null,
    ...fields,
  };
}

function describe(image: ImageReport): string {
  return `${image.width}x${image.height} ${image.format.toUpperCase()}`;
}

function dirOf(path: string | undefined): string {
  if (!path) return "the workspace";
  const i = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return i > 0 ? path.slice(0, i) : path;
}

function completedHeadline(result: GenerationResult): string {
  const parts: string[] = [];
  for (const image of result.images.filter((i) => !i.verified && i.requested_size !== null)) {
    const what = (image.mismatch ?? "Not verified.").replace(/\.$/, "");
    parts.push(`${what} (delivered by ${result.provider}): ${image.path}.`);
  }
  const verified = result.images.filter((i) => i.verified);
  const from = (i: ImageReport) =>
    i.upscaled && i.master
      ? `, upscaled locally from ${i.master.width}x${i.master.height} kept at ${i.master.path}`
      : "";
  if (verified.length === 1 && verified[0]) {
    parts.push(`Saved ${describe(verified[0])} (verified${from(verified[0])}) to ${verified[0].path}.`);
  } else if (verified.length > 1) {
    parts.push(
      `Saved ${verified.length} images, each ${describe(verified[0] as ImageReport)} (verified${verified[0]?.upscaled ? ", upscaled locally from their masters" : ""}), in ${dirOf(verified[0]?.path)}.`,
    );
  }
  for (const image of result.images.filter((i) => i.requested_size === null))
    parts.push(`Saved ${describe(image)} (size auto: measured, not verifiable) to ${image.path}.`);
  if (result.images.length < result.requested.n) {
    parts.unshift(`Requested ${result.requested.n} images but ${result.provider} delivered ${result.images.length}.`);
  }
  // A fallback is the first thing to say: what failed or came back short, and what was done instead.
  if (result.decision.startsWith("fallback: ")) {
    const what = result.decision.slice("fallback: ".length);
    parts.unshift(`Fallback: ${what}.`);
  }
  return parts.join(" ");
}

/** The first sentence of a generation result: the measured truth, loud when it differs from the request. */
export function headline(result: GenerationResult): string {
  if (result.dry_run) {
    const cost = result.cost_estimate_usd === null ? "cost unknown" : `about $${result.cost_estimate_usd.toFixed(4)}`;
    return `Dry run: ${result.requested.n} x ${result.requested.size} ${result.requested.quality} on ${result.model} is valid (${cost}); nothing was sent.`;
  }
  if (result.status === "running") {
    return `Still generating (${result.message ?? "running"}); call verify_image with job_id "${result.job_id}" to wait for and verify the result.`;
  }
  if (result.status === "failed") return `Generation failed: ${result.message ?? "unknown error"}`;
  return completedHeadline(result);
}
