// The shapes that cross the upstream boundary. Nothing outside upstream/ sees the openai SDK's own types.

import type { RetryRecord } from "../contract/schemas.js";

export type { RetryRecord } from "../contract/schemas.js";

/** Concurrency slots for upstream calls, given by whoever wires the upstream (the job engine's limiter). */
export interface Slots {
  readonly limit: number;
  readonly inFlight: number;
  /** Resolves to a release function once a slot is free; rejects with AbortedError if the signal aborts first. */
  acquire(signal?: AbortSignal): Promise<() => void>;
}

/** An image as the upstream hands it over: its bytes (decoded or downloaded), or why there are none. */
export type UpstreamImage = { bytes: Buffer; revisedPrompt: string | null } | { error: string };

export interface Endpoint {
  /** Who answers: "openai", a gateway profile name, or "offline-simulator". */
  provider: string;
  baseURL?: string;
  apiKey: string;
  organization?: string;
  project?: string;
  timeoutMs: number;
}

export interface Usage {
  input_tokens?: number;
  input_tokens_details?: { image_tokens?: number; text_tokens?: number };
  output_tokens?: number;
  total_tokens?: number;
}

/**
 * The usage an answer states, numbers only (and objects of numbers one level down, such as input_tokens_details):
 * it is kept in results and records, so a string a provider slips in (an echoed key) is never kept.
 */
export function usageOf(value: unknown, depth = 2): Usage | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value) || depth === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === "number" && Number.isFinite(v)) out[key] = v;
    else if (depth > 1) {
      const nested = usageOf(v, depth - 1);
      if (nested) out[key] = nested;
    }
  }
  return out as Usage;
}

export interface InputFile {
  name: string;
  bytes: Buffer;
  mimeType: string;
}

export interface ImageCall {
  /** images: the Images API; responses: a text model with the image_generation tool. */
  route?: "images" | "responses";
  /** The text model of the Responses route. */
  responsesModel?: string;
  /** JSON fields of the request, already validated locally. */
  body: Record<string, unknown>;
  /** Present for the edit endpoint. */
  edit?: { images: InputFile[]; mask?: InputFile; markup?: InputFile };
  /** Stream with partial images (0..3). */
  partialImages: number;
  /** Responses route: a follow-up turn that edits the image an earlier answer made (previous_response_id). */
  followUp?: { previousResponseId: string };
}

export interface DeliveredImage {
  b64?: string;
  url?: string;
  /** The downloaded bytes of a url image. */
  bytes?: Buffer;
  /** Why a url image could not be fetched. */
  error?: string;
  revisedPrompt?: string;
}

export interface PartialImage {
  index: number;
  /** The decoded bytes; null when the data was not base64. */
  bytes: Buffer | null;
}

export interface ImageCallResult {
  images: DeliveredImage[];
  usage?: Usage;
  requestId: string | null;
  /** What the upstream says it produced (size, quality, format, background), if it says. */
  meta: Record<string, unknown>;
  /** What was odd about an answer whose images were still kept. */
  notes?: string[];
  /** Responses route only. */
  responseId?: string | null;
  assistantText?: string | null;
  callIds?: string[];
}

/** Which paid step a request is: its attempt (0 = first, then retries) and its slot in a fan-out. */
export interface SendStep {
  attempt: number;
  slot: number;
  of: number;
}

/** What came of a sent step, for the spend ledger: billed (with the usage it reported), not billed, or unknown. */
export type StepOutcome = { billed: "yes"; usage: Usage | null } | { billed: "no" } | { billed: "unknown" };

export interface SendTicket {
  /** Resolves once the ledger holds the outcome: a call is answered only after, so a freed reservation is free. */
  done(outcome: StepOutcome): Promise<void>;
}

export interface CallHooks {
  signal?: AbortSignal;
  /**
   * A request is about to go out (it holds a slot): from here on it may be billed. Awaited before anything is sent:
   * it reserves the step's spend and records the job as sent, and throws to stop the step (nothing is sent then).
   */
  onSending?: (step: SendStep) => Promise<SendTicket | undefined>;
  /** The request id of an answer, success or failure (redacted), as soon as it is known. */
  onRequestId?: (id: string) => void;
  onPartial?: (partial: PartialImage) => void;
  onRetry?: (retry: RetryRecord) => void;
}
