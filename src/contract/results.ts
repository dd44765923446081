// The shapes of what the tools return, and the one sentence that leads every result. Pure.

/** What measuring a file yields (imaging/inspect.ts fills it from the bytes on disk). */
export interface MeasuredFile {
  width: number;
  height: number;
  format: string;
  bytes: number;
  sha256: string;
  has_alpha: boolean;
}

export interface ImageReport extends MeasuredFile {
  path: string;
  uri: string;
  requested_size: string | null;
  verified: boolean;
  mismatch: string | null;
  experimental: boolean;
  revised_prompt: string | null;
  upscaled: boolean;
}

export interface RetryReport {
  attempt: number;
  reason: string;
  request_id: string | null;
  delay_ms: number;
}

export interface Requested {
  size: string;
  quality: string;
  output_format: string;
  background: string | null;
  n: number;
}

export type GenerationStatus = "completed" | "running" | "failed";

export interface GenerationResult {
  status: GenerationStatus;
  job_id: string;
  provider: string;
  route: "images" | "responses";
  endpoint: string;
  model: string;
  requested: Requested;
  images: ImageReport[];
  caveats: string[];
  request_ids: string[];
  usage: Record<string, unknown> | null;
  cost_estimate_usd: number | null;
  elapsed_ms: number;
  /** Of elapsed_ms, the time spent on the upstream call(s): queueing, retries and the answer's transfer included. */
  upstream_ms: number | null;
  retries: RetryReport[];
  next: string | null;
  reused_job: boolean;
  dry_run: boolean;
  /** The latest progress message while running, or why the job failed. */
  message: string | null;
  /** Responses route: the text model, the response ids, the image_generation call ids and the assistant's text. */
  responses_model: string | null;
  response_ids: string[];
  image_call_ids: string[];
  assistant_text: string | null;
}

/** More pixels than this (2560x1440) is officially experimental. */
export const EXPERIMENTAL_PIXELS = 3_686_400;

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
  };
}

function describe(image: ImageReport): string {
  return `${image.width}x${image.height} ${image.format.toUpperCase()}`;
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
  const mismatched = result.images.filter((i) => !i.verified && i.requested_size !== null);
  const parts: string[] = [];
  for (const image of mismatched) {
    const what = (image.mismatch ?? "Not verified.").replace(/\.$/, "");
    parts.push(`${what} (delivered by ${result.provider}): ${image.path}.`);
  }
  const verified = result.images.filter((i) => i.verified);
  if (verified.length === 1 && verified[0]) {
    parts.push(`Saved ${describe(verified[0])} (verified) to ${verified[0].path}.`);
  } else if (verified.length > 1) {
    parts.push(
      `Saved ${verified.length} images, each ${describe(verified[0] as ImageReport)} (verified), in ${dirOf(verified[0]?.path)}.`,
    );
  }
  const unverifiable = result.images.filter((i) => i.requested_size === null);
  for (const image of unverifiable)
    parts.push(`Saved ${describe(image)} (size auto: measured, not verifiable) to ${image.path}.`);
  if (result.images.length < result.requested.n) {
    parts.unshift(`Requested ${result.requested.n} images but ${result.provider} delivered ${result.images.length}.`);
  }
  return parts.join(" ");
}

function dirOf(path: string | undefined): string {
  if (!path) return "the workspace";
  const i = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return i > 0 ? path.slice(0, i) : path;
}
