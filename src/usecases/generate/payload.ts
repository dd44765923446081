// What a generation job carries in the book, parsed with a schema wherever it is read: a job may have been written by
// another process, another version, or tampered with in a shared store. The payload names only what the worker
// needs to prepare the request again — never which files it may read (a worker reads its own workspace, and the
// inputs are staged copies there).

import { z } from "zod";
import type { GenerateArgs } from "../../contract/request.js";
import { EditOfSchema, RequestedSchema, ROUTES, STRATEGIES, type Strategy } from "../../contract/schemas.js";
import { InternalError } from "../../errors.js";

/**
 * The arguments of generate_image as queued: each known field typed, and fields of newer versions let through to
 * the request contract, which checks every field again before anything is sent.
 */
export const ArgsSchema = z.looseObject({
  prompt: z.string().min(1),
  route: z.enum(ROUTES).optional(),
  responses_model: z.string().optional(),
  size: z.string().optional(),
  model: z.string().optional(),
  quality: z.enum(["low", "medium", "high", "xhigh", "max", "auto"]).optional(),
  output_format: z.string().optional(),
  output_compression: z.number().int().min(0).max(100).optional(),
  background: z.enum(["auto", "opaque", "transparent"]).optional(),
  n: z.number().int().min(1).max(10).optional(),
  reference_images: z.array(z.string()).max(16).optional(),
  mask: z.string().optional(),
  markup: z.string().optional(),
  input_fidelity: z.enum(["high", "low"]).optional(),
  moderation: z.enum(["auto", "low"]).optional(),
  partial_images: z.number().int().min(0).max(3).optional(),
  frame_count: z.number().int().min(2).max(16).optional(),
  frame_duration_ms: z.number().int().min(10).max(655_350).optional(),
});

export const GenerationPayloadSchema = z.object({
  kind: z.literal("generate"),
  args: ArgsSchema,
  filename: z.string().nullable(),
  strategy: z.enum(STRATEGIES),
  warmPreview: z.boolean(),
  /** The folder of the job's staged inputs (inside the workspace's state folder), or null. */
  staged: z.string().nullable(),
  /** Reservations made when the call was admitted, for the first attempt's calls. */
  admitted: z.array(z.string()),
  /** An edit_of resolved when the call was admitted (its source staged as the first reference, or a follow-up). */
  edit: z
    .object({
      editOf: EditOfSchema,
      followUp: z.object({ previousResponseId: z.string() }).nullable(),
    })
    .nullable(),
});

export type GenerationPayload = z.infer<typeof GenerationPayloadSchema>;

export function generationPayload(fields: Omit<GenerationPayload, "kind">): GenerationPayload {
  return { kind: "generate", ...fields };
}

export function parsePayload(payload: unknown): GenerationPayload & { args: GenerateArgs; strategy: Strategy } {
  const parsed = GenerationPayloadSchema.safeParse(payload);
  if (!parsed.success) {
    throw new InternalError(`a queued job's payload does not parse: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  }
  return parsed.data as GenerationPayload & { args: GenerateArgs };
}

/** What a job was asked for, kept beside it so a running, failed or lost job reports its real request. */
export const JobRequestSchema = z.object({
  route: z.enum(ROUTES),
  endpoint: z.string(),
  model: z.string(),
  requested: RequestedSchema,
  cost_estimate_usd: z.number().nullable(),
  /** The strategy asked for (absent in jobs of earlier versions: native). */
  strategy: z.enum(STRATEGIES).optional(),
});

export type JobRequest = z.infer<typeof JobRequestSchema>;

export function parseJobRequest(request: unknown): JobRequest | null {
  const parsed = JobRequestSchema.safeParse(request);
  return parsed.success ? parsed.data : null;
}
