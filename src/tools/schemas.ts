// zod schemas of the results (the outputSchema of each tool), mirroring contract/results.ts.

import { z } from "zod";

export const ImageReportSchema = z.object({
  path: z.string().describe("absolute path of the saved file"),
  uri: z.string().describe("resource URI (pixelwright://images/{name}) to read the full file"),
  width: z.number().int().describe("measured from the saved file"),
  height: z.number().int().describe("measured from the saved file"),
  format: z.string(),
  bytes: z.number().int(),
  sha256: z.string(),
  has_alpha: z.boolean(),
  requested_size: z.string().nullable(),
  verified: z.boolean().describe("true only when the saved file was read back and matches the request"),
  mismatch: z.string().nullable(),
  experimental: z.boolean(),
  revised_prompt: z.string().nullable(),
  upscaled: z.boolean().describe("true only for a derivative made locally"),
});

export const RetrySchema = z.object({
  attempt: z.number().int(),
  reason: z.string(),
  request_id: z.string().nullable(),
  delay_ms: z.number(),
});

export const RequestedSchema = z.object({
  size: z.string(),
  quality: z.string(),
  output_format: z.string(),
  background: z.string().nullable(),
  n: z.number().int(),
});

export const generationFields = {
  job_id: z.string(),
  provider: z.string().describe("openai, a gateway profile, or offline-simulator"),
  route: z.enum(["images", "responses"]),
  endpoint: z.string(),
  model: z.string(),
  requested: RequestedSchema,
  images: z.array(ImageReportSchema),
  caveats: z.array(z.string()),
  request_ids: z.array(z.string()),
  usage: z.record(z.string(), z.unknown()).nullable(),
  cost_estimate_usd: z.number().nullable(),
  elapsed_ms: z.number(),
  upstream_ms: z.number().nullable().describe("of elapsed_ms, the time spent waiting for the upstream"),
  retries: z.array(RetrySchema),
  next: z.string().nullable().describe("what to do next, when anything"),
  reused_job: z.boolean(),
  dry_run: z.boolean(),
  message: z.string().nullable(),
  responses_model: z.string().nullable(),
  response_ids: z.array(z.string()),
  image_call_ids: z.array(z.string()),
  assistant_text: z.string().nullable().describe("Responses route: what the assistant said besides the image"),
};

export const GenerationResultSchema = z.object({
  status: z.enum(["completed", "running", "failed"]),
  ...generationFields,
});

/** A verification: its verdict and images; with job_id, also every field of the generation it collected. */
export const VerifyResultSchema = z
  .object(generationFields)
  .partial()
  .extend({
    status: z.enum(["verified", "mismatch", "unverifiable", "running", "failed"]),
    images: z.array(ImageReportSchema),
    job_status: z.enum(["completed", "running", "failed"]).optional(),
  });
