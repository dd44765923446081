// What to do next, fitted to each outcome: a delivery smaller than asked, and each kind of failure (moderation,
// timeout, quota, rate limit). One sentence each, naming the tool call that helps. Pure.

import type { GenerationResult, ImageReport } from "./schemas.js";
import { aspectChange, MAX_ASPECT_CHANGE } from "./upscale.js";

function targetOf(image: ImageReport): { width: number; height: number } | null {
  const [w, h] = image.requested_size?.split("x").map(Number) ?? [];
  return w && h ? { width: w, height: h } : null;
}

/** A delivered image smaller than asked but of its shape: an upscale makes the requested size from it. */
function isShort(image: ImageReport): boolean {
  const target = targetOf(image);
  if (!target || image.verified || image.width === 0) return false;
  const smaller = image.width <= target.width && image.height <= target.height;
  const short = image.width < target.width || image.height < target.height;
  return smaller && short && aspectChange(image, target) <= MAX_ASPECT_CHANGE;
}

/** The next step after a completed generation: only a short delivery needs one. */
export function completedNext(result: GenerationResult): string | null {
  const short = result.images.find(isShort);
  if (!short) return null;
  const size = short.requested_size as string;
  return `${result.provider} delivered ${short.width}x${short.height} instead of ${size}: call upscale_image with path "${short.path}" and size "${size}" to make the requested size locally (free, marked upscaled), or generate again with strategy: "auto", which does that by itself.`;
}

/** What a failure's error says about itself. */
export interface FailureFacts {
  message: string;
  status?: number | undefined;
  code?: string | null | undefined;
  mayHaveBeenBilled: boolean;
  /** The strategy that ran: advice never suggests the one that just failed. */
  strategy?: "native" | "master" | "auto" | undefined;
}

const MODERATION = /moderation_blocked|safety system|content policy|safety_violation/i;
const QUOTA = /insufficient_quota|quota|billing_hard_limit|billing details|insufficient balance/i;
const TIMEOUT = /timed out|timeout|deadline/i;
const RATE_LIMIT = /rate.?limit/i;
const SPEND_CAP = /PIXELWRIGHT_MAX_SPEND_USD/;

/** The next step after a failed generation, fitted to why it failed. */
export function failureNext(failure: FailureFacts): string {
  const words = `${failure.code ?? ""} ${failure.message}`;
  // The cap stopped a later step (a retry, auto's master): what was sent before it is what may be billed.
  if (SPEND_CAP.test(words)) {
    const sent = failure.mayHaveBeenBilled
      ? "the attempts sent before it may have been billed: check jobs.jsonl, then"
      : "nothing was billed;";
    return `The spend cap (PIXELWRIGHT_MAX_SPEND_USD) stopped the job before its next step; ${sent} call generate_image again once room frees up (the message says when), or raise the cap.`;
  }
  if (MODERATION.test(words)) {
    return "The provider's safety system refused this request (not billed): rephrase the prompt or change the reference images; sending the same request again will be refused again.";
  }
  if (QUOTA.test(words)) {
    return "The account's quota or billing limit is reached (not billed): add credit or raise the limit with the provider, then call generate_image again; retrying before that cannot succeed.";
  }
  if (TIMEOUT.test(words)) {
    const head =
      "The request timed out after it was sent, so it may have been billed: check jobs.jsonl before retrying.";
    if (failure.strategy === "master" || failure.strategy === "auto")
      return `${head} Strategy ${failure.strategy} sent a stable size, which did not finish in time either: raise PIXELWRIGHT_TIMEOUT_SECONDS, or ask for a smaller size or a lower quality.`;
    return `${head} Large sizes are slow: strategy "master" (a stable master upscaled locally) or "auto" finishes sooner, or raise PIXELWRIGHT_TIMEOUT_SECONDS.`;
  }
  if (failure.status === 429 || RATE_LIMIT.test(words)) {
    return "The provider's rate limit was hit (not billed): wait a minute, then call generate_image again; an identical request shares one job, so nothing is paid twice.";
  }
  return failure.mayHaveBeenBilled
    ? "Nothing was saved, and an attempt may have been billed: check jobs.jsonl before trying again."
    : "Nothing was saved. Fix what the message names, or try again later; the job record is in jobs.jsonl.";
}
