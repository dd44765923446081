// What the two batch jobs carry in the book, parsed with a schema wherever they are read (another process, another
// version, a shared store may have written them). A batch job sends the batch: its items as queued arguments and the
// spend reserved for it. A collect job looks at a sent batch, and collects its answers once it has ended.

import { z } from "zod";
import type { GenerateArgs } from "../../contract/request.js";
import { BatchItemSchema, type BatchResult, BatchResultSchema } from "../../contract/schemas.js";
import { InternalError } from "../../errors.js";
import { ArgsSchema } from "../generate/payload.js";

export const BATCH_KIND = "batch";
export const COLLECT_KIND = "batch-collect";

export const BatchPayloadSchema = z.object({
  kind: z.literal(BATCH_KIND),
  items: z.array(z.object({ args: ArgsSchema, filename: z.string().nullable() })).min(1),
  /** The reservation of the whole batch at its estimate, made when it was admitted; settled when collected. */
  admitted: z.array(z.string()),
});

/** The schema's shape, its items typed as the request contract reads them (it checks every field again). */
export interface BatchPayload {
  kind: typeof BATCH_KIND;
  items: { args: GenerateArgs; filename: string | null }[];
  admitted: string[];
}

export const CollectPayloadSchema = z.object({
  kind: z.literal(COLLECT_KIND),
  /** The batch job whose batch is looked at. */
  batchJob: z.string(),
  /** Looks again until then (ms since the epoch) while the batch is still running. */
  until: z.number(),
});

export type CollectPayload = z.infer<typeof CollectPayloadSchema>;

/** What a batch job reports before it has a result: each item as asked, pending, and the whole estimate. */
export const BatchRequestSchema = z.object({
  items: z.array(BatchItemSchema),
  cost_estimate_usd: z.number().nullable(),
});

export type BatchRequest = z.infer<typeof BatchRequestSchema>;

function parsed<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new InternalError(`${what} does not parse: ${result.error.issues[0]?.message ?? "invalid"}`);
  }
  return result.data;
}

export function parseBatchPayload(payload: unknown): BatchPayload {
  return parsed(BatchPayloadSchema, payload, "a queued batch job's payload") as unknown as BatchPayload;
}

/** A batch job's payload, or null when the payload is another kind's (or does not parse). */
export function batchPayloadOf(payload: unknown): BatchPayload | null {
  const result = BatchPayloadSchema.safeParse(payload);
  return result.success ? (result.data as unknown as BatchPayload) : null;
}

/** A collect job's payload, or null when the payload is another kind's (or does not parse). */
export function collectPayloadOf(payload: unknown): CollectPayload | null {
  const result = CollectPayloadSchema.safeParse(payload);
  return result.success ? result.data : null;
}

export function parseCollectPayload(payload: unknown): CollectPayload {
  return parsed(CollectPayloadSchema, payload, "a queued collect job's payload");
}

export function parseBatchRequest(request: unknown): BatchRequest | null {
  const result = BatchRequestSchema.safeParse(request);
  return result.success ? result.data : null;
}

/** A batch result kept in the book (a job's result), or null when it is not one. */
export function parseBatchResult(result: unknown): BatchResult | null {
  const parsedResult = BatchResultSchema.safeParse(result);
  return parsedResult.success ? parsedResult.data : null;
}
