// What a generate_image request may say, and what the request contract needs to know about the upstream profile.
// Pure types (request.ts validates them; request-checks.ts holds the rules).

import type { Background, Complexity, OutputFormat, Quality } from "./model-types.js";

/** What the request contract needs to know about the upstream profile (upstream/gateways.ts holds the data). */
export interface ProfileLimits {
  name: string;
  rejects: readonly string[];
  ignores: readonly string[];
  tierModels: readonly string[];
  maxReferenceImages?: number | undefined;
}

export const OPENAI_LIMITS: ProfileLimits = { name: "openai", rejects: [], ignores: [], tierModels: [] };

export interface GenerateArgs {
  prompt: string;
  route?: "images" | "responses" | undefined;
  responses_model?: string | undefined;
  size?: string | undefined;
  model?: string | undefined;
  quality?: Quality | undefined;
  /** svg is named only to be refused with a sentence (a vector document has no pixel size to verify). */
  output_format?: OutputFormat | "svg" | undefined;
  output_compression?: number | undefined;
  background?: Background | undefined;
  n?: number | undefined;
  reference_images?: string[] | undefined;
  mask?: string | undefined;
  /** GPT Image 2.5 edits: a transparent PNG overlaid on the first reference image to guide the edit (not with a mask). */
  markup?: string | undefined;
  input_fidelity?: "high" | "low" | undefined;
  moderation?: "auto" | "low" | undefined;
  partial_images?: number | undefined;
  /** gpt-image-2.6 only. */
  complexity?: Complexity | undefined;
  /** output_format gif only: frames of the animation (the API's default 9) and each frame's delay (default 200 ms). */
  frame_count?: number | undefined;
  frame_duration_ms?: number | undefined;
  /** A job_id or the path of a saved image to edit (resolved by the use-case before the contract runs). */
  edit_of?: string | undefined;
}
