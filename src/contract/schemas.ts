// The one source of every shape that crosses a boundary: tool results (the tools' outputSchema), the production
// record beside each image, and the retry record. TypeScript types are inferred from these schemas, never written
// again by hand. Pure: zod only.

import { z } from "zod";

export const VIOLATION_RULES = [
  "format",
  "max_edge",
  "multiple_of_16",
  "aspect_ratio",
  "min_pixels",
  "max_pixels",
  "model_sizes",
  "model_retired",
  "unknown_model",
] as const;

export const SUGGESTION_KINDS = ["intent", "nearest", "stable_master", "tier", "model_size"] as const;

export const ViolationSchema = z.object({ rule: z.enum(VIOLATION_RULES), message: z.string() });

export const SuggestionSchema = z.object({
  size: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  why: z.string(),
  kind: z.enum(SUGGESTION_KINDS),
});

export const SizeReportSchema = z.object({
  ok: z.boolean().describe("true when the size can be sent to the model as is"),
  input: z.string(),
  model: z.string(),
  rules_model: z.string().describe("the model whose size rules were applied"),
  size: z.string().nullable().describe("normalized WIDTHxHEIGHT (or auto); null when unreadable"),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  pixels: z.number().int().nullable(),
  aspect_ratio: z.string().nullable(),
  experimental: z.boolean().describe("more than 3,686,400 pixels (above 2560x1440): officially experimental"),
  preset: z.string().nullable(),
  tier: z.string().nullable(),
  violations: z.array(ViolationSchema),
  suggestions: z.array(SuggestionSchema),
  notes: z.array(z.string()),
});

/** What measuring a file yields (imaging/inspect.ts fills it from the bytes on disk). */
export const MeasuredFileSchema = z.object({
  width: z.number().int().describe("measured from the saved file"),
  height: z.number().int().describe("measured from the saved file"),
  format: z.string(),
  bytes: z.number().int(),
  sha256: z.string(),
  has_alpha: z.boolean(),
  frames: z.number().int().optional().describe("an animation (GIF): its frames, measured from the saved file"),
});

/** The file an upscaled image was made from (a stable master, or a smaller delivery). */
export const MasterRefSchema = z.object({ path: z.string(), width: z.number().int(), height: z.number().int() });

/** How much detail an image really carries: measured (heuristic), or stated by its production record. */
export const EffectiveResolutionSchema = z.object({
  heuristic: z.boolean().describe("true when estimated from the pixels; false when a production record states it"),
  source: z.enum(["pixels", "record"]),
  likely_upscaled: z.boolean(),
  effective_width: z.number().int().describe("the smallest width that carries the same detail (the source's)"),
  effective_height: z.number().int(),
  factor: z.number().describe("estimated enlargement factor; 1 when none was found"),
  trace_strength: z.number().nullable().describe("strength of the resampling trace; 200 and above is a trace"),
  note: z.string(),
});

export const DECISION_DESCRIPTION = "native, master+upscale, or fallback: <reason>";

export const ImageReportSchema = MeasuredFileSchema.extend({
  path: z.string().describe("absolute path of the saved file"),
  uri: z.string().describe("resource URI (pixelwright://images/{name}) to read the full file"),
  requested_size: z.string().nullable(),
  verified: z.boolean().describe("true only when the saved file was read back and matches the request"),
  mismatch: z.string().nullable(),
  experimental: z.boolean(),
  revised_prompt: z.string().nullable(),
  upscaled: z.boolean().describe("true only for a derivative made locally"),
  decision: z.string().describe(DECISION_DESCRIPTION),
  master: MasterRefSchema.nullable().describe(
    "for an upscaled image: its source file (the master, or a smaller delivery)",
  ),
  effective_resolution: EffectiveResolutionSchema.optional().describe("verify_image: native or upscaled, measured"),
});

/** One retried upstream attempt: why, and the request id of the answer that caused it. */
export const RetrySchema = z.object({
  attempt: z.number().int(),
  reason: z.string(),
  request_id: z.string().nullable(),
  delay_ms: z.number(),
  may_have_been_billed: z.boolean().describe("the request reached the provider and its outcome is unknown"),
});

/** Why a job ended without images: the last attempt's reason, its request id, and whether it may have been billed. */
export const FailureSchema = z.object({
  reason: z.string(),
  request_id: z.string().nullable(),
  may_have_been_billed: z.boolean(),
});

export const RequestedSchema = z.object({
  size: z.string(),
  quality: z.string(),
  output_format: z.string(),
  background: z.string().nullable(),
  n: z.number().int(),
  frame_count: z.number().int().optional().describe("a GIF animation's frames, when asked"),
});

export const ROUTES = ["images", "responses"] as const;
export const STRATEGIES = ["native", "master", "auto"] as const;

/** A dry run's estimate for one strategy, shown side by side. */
export const StrategyEstimateSchema = z.object({
  strategy: z.enum(STRATEGIES),
  generated_size: z.string().describe("what the model is asked for"),
  final_size: z.string().describe("what the saved result will be"),
  experimental: z.boolean(),
  cost_estimate_usd: z.number().nullable(),
  note: z.string(),
});
export const GENERATION_STATUSES = ["completed", "running", "failed"] as const;

export const generationFields = {
  job_id: z.string().nullable().describe("the job to collect with verify_image; null (left out) for a dry run"),
  provider: z.string().describe("openai, a gateway profile, or offline-simulator"),
  route: z.enum(ROUTES),
  endpoint: z.string(),
  model: z.string(),
  requested: RequestedSchema,
  images: z.array(ImageReportSchema),
  caveats: z.array(z.string()),
  request_ids: z.array(z.string()),
  usage: z.record(z.string(), z.unknown()).nullable(),
  cost_estimate_usd: z.number().nullable().describe("estimated before the call from the price table"),
  cost_usd: z
    .number()
    .nullable()
    .describe("billed cost: the returned usage at list prices; null when no usage came back or no price is known"),
  failure: FailureSchema.nullable().describe("failed jobs: why the last attempt failed"),
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
  partial_images: z
    .array(z.string())
    .optional()
    .describe("while running: resource URIs of the partial images received so far (removed when the job ends)"),
  strategy: z.enum(STRATEGIES),
  decision: z.string().describe(DECISION_DESCRIPTION),
  estimates: z.array(StrategyEstimateSchema).nullable().describe("dry_run: native and master side by side"),
};

export const GenerationResultSchema = z.object({
  status: z.enum(GENERATION_STATUSES),
  ...generationFields,
});

/** One item of a batch (generate_batch): its request, what became of it, and its images. */
export const BATCH_ITEM_STATUSES = ["completed", "failed", "pending"] as const;

export const BatchItemSchema = z.object({
  index: z.number().int().describe("the item's place in items, from 0"),
  custom_id: z.string().describe("the item's line in the batch's request file"),
  status: z.enum(BATCH_ITEM_STATUSES).describe("pending until the batch has answered it"),
  model: z.string(),
  requested: RequestedSchema,
  images: z.array(z.string()).describe("absolute paths of the item's saved images"),
  cost_estimate_usd: z.number().nullable().describe("at the batch price"),
  cost_usd: z.number().nullable().describe("billed: the item's returned usage at the batch price"),
  request_id: z.string().nullable(),
  error: z
    .object({ code: z.string().nullable(), message: z.string() })
    .nullable()
    .describe("why the item failed (its line in the batch's error file)"),
  caveats: z.array(z.string()),
});

export const BatchCountsSchema = z.object({
  total: z.number().int(),
  completed: z.number().int(),
  failed: z.number().int(),
  pending: z.number().int(),
});

/** A batch as pixelwright knows it: the Batch API's own id and status, and every item. */
export const BatchReportSchema = z.object({
  batch_id: z.string().nullable().describe("the Batch API's id, once the batch was created"),
  batch_status: z
    .string()
    .nullable()
    .describe("the Batch API's status: validating, in_progress, finalizing, completed, expired, cancelled, failed"),
  endpoint: z.string().describe("the endpoint every request of the batch goes to"),
  completion_window: z.string(),
  discount: z.number().describe("the share of the list price a batch is billed at (0.5: half price)"),
  counts: BatchCountsSchema,
  items: z.array(BatchItemSchema),
});

/** What generate_batch returns. */
export const BatchResultSchema = z.object({
  status: z.enum(GENERATION_STATUSES).describe("running until the batch ended and its answers were collected"),
  job_id: z.string().nullable().describe("the job to collect with verify_image; null (left out) for a dry run"),
  provider: z.string(),
  batch: BatchReportSchema,
  images: z.array(ImageReportSchema).describe("every saved image of every item, in item order"),
  caveats: z.array(z.string()),
  message: z.string().nullable(),
  next: z.string().nullable(),
  cost_estimate_usd: z.number().nullable().describe("the whole batch at the batch price"),
  cost_usd: z.number().nullable().describe("billed: the returned usage of every item at the batch price"),
  elapsed_ms: z.number(),
  reused_job: z.boolean(),
  dry_run: z.boolean(),
});

export const VERIFY_STATUSES = ["verified", "mismatch", "unverifiable", "running", "failed"] as const;

/** A verification: its verdict and images; with job_id, also every field of the generation it collected. */
export const VerifyResultSchema = z
  .object(generationFields)
  .partial()
  .extend({
    status: z.enum(VERIFY_STATUSES),
    images: z.array(ImageReportSchema),
    job_status: z.enum(GENERATION_STATUSES).optional(),
    batch: BatchReportSchema.optional().describe("a generate_batch job: the batch and every item"),
  });

export const RECORD_VERSION = 1;

/** What the production record says was requested: the result's block and every other parameter sent. */
export const SidecarRequestedSchema = RequestedSchema.extend({
  partial_images: z.number().int(),
  // Records written before these were kept leave them out.
  output_compression: z.number().int().nullable().optional(),
  moderation: z.string().nullable().optional(),
  complexity: z.string().nullable().optional(),
  frame_count: z.number().int().optional(),
  frame_duration_ms: z.number().int().optional(),
});

/** One saved image in a chain of edits: where it was, its bytes' hash, and the job that made it. */
export const EditLinkSchema = z.object({
  path: z.string(),
  sha256: z.string(),
  job_id: z.string().nullable(),
});

/** The saved image a generation edited (edit_of), and the chain of edits that led to it, oldest first. */
export const EditOfSchema = EditLinkSchema.extend({
  route: z.enum(ROUTES).describe("how the source was made"),
  response_id: z.string().nullable().describe("Responses route: the answer that made the source (a follow-up turn)"),
  image_call_id: z.string().nullable(),
  width: z.number().int(),
  height: z.number().int(),
  chain: z.array(EditLinkSchema).describe("the edits before the source, oldest first"),
});

/** The production record (SPEC section 7) written beside each image as <name>.json; the manifest line omits `result`. */
export const SidecarRecordSchema = z.object({
  record_version: z.literal(RECORD_VERSION),
  created_at: z.string(),
  job_id: z.string(),
  file: z.string(),
  path: z.string(),
  provider: z.string(),
  route: z.enum(ROUTES),
  endpoint: z.string(),
  billing_route: z.string(),
  model: z.string(),
  prompt: z.string(),
  prompt_sha256: z.string(),
  requested: SidecarRequestedSchema,
  saved: MeasuredFileSchema,
  expected_size: z.string().nullable(),
  expected_format: z.string(),
  verified: z.boolean(),
  mismatch: z.string().nullable(),
  experimental: z.boolean(),
  decision: z.string(),
  partial_images: z.string(),
  revised_prompt: z.string().nullable(),
  responses_model: z.string().nullable(),
  response_ids: z.array(z.string()),
  /** Responses route: the answer and image call that made this very image (what a follow-up turn continues). */
  response_id: z.string().nullable().optional(),
  image_call_id: z.string().nullable().optional(),
  /** The image this one edits (edit_of) and the chain before it; null or absent for a fresh image. */
  edit_of: EditOfSchema.nullable().optional(),
  request_ids: z.array(z.string()),
  retries: z.array(RetrySchema),
  usage: z.record(z.string(), z.unknown()).nullable(),
  cost_estimate_usd: z.number().nullable(),
  cost_usd: z.number().nullable().optional(),
  elapsed_ms: z.number(),
  /** For an upscaled file: what it was made from and how. */
  upscale: z
    .object({
      source_path: z.string(),
      source_sha256: z.string(),
      source_width: z.number().int(),
      source_height: z.number().int(),
      method: z.string(),
      interpolation: z.string(),
      factor: z.number(),
    })
    .nullable()
    .optional(),
  result: GenerationResultSchema,
});

export const UPSCALE_STATUSES = ["verified", "mismatch"] as const;

/** What upscale_image returns. */
export const UpscaleResultSchema = z.object({
  status: z.enum(UPSCALE_STATUSES),
  image: ImageReportSchema,
  source: MeasuredFileSchema.extend({ path: z.string() }),
  method: z.string(),
  interpolation: z.string().describe("what sharp applies when enlarging: bicubic, bilinear or nearest"),
  factor: z.number(),
  decision: z.string().describe(DECISION_DESCRIPTION),
  reused: z.boolean().describe("true when the same upscale of the same source already existed"),
  elapsed_ms: z.number(),
  caveats: z.array(z.string()),
});

/**
 * One line of jobs.jsonl per finished job, completed or failed: what it cost (billed or estimated), every attempt
 * that may have been billed, its files, and its whole result (a later process collects the job from it).
 */
export const JobRecordSchema = z.object({
  record_version: z.literal(RECORD_VERSION),
  job_id: z.string(),
  status: z.enum(["completed", "failed"]),
  finished_at: z.string(),
  provider: z.string(),
  model: z.string(),
  reason: z.string().nullable(),
  attempts: z.number().int(),
  may_have_been_billed: z.number().int().describe("attempts that failed after the request was sent"),
  cost_usd: z.number().nullable(),
  cost_estimate_usd: z.number().nullable(),
  files: z.array(z.object({ path: z.string(), sha256: z.string() })),
  result: GenerationResultSchema,
  /** A generate_batch job: the batch and every item (the result above sums it up). */
  batch: BatchReportSchema.optional(),
});

export type Violation = z.infer<typeof ViolationSchema>;
export type ViolationRule = Violation["rule"];
export type Suggestion = z.infer<typeof SuggestionSchema>;
export type SuggestionKind = Suggestion["kind"];
export type SizeReport = z.infer<typeof SizeReportSchema>;
export type MeasuredFile = z.infer<typeof MeasuredFileSchema>;
export type ImageReport = z.infer<typeof ImageReportSchema>;
export type RetryRecord = z.infer<typeof RetrySchema>;
export type Requested = z.infer<typeof RequestedSchema>;
export type Route = (typeof ROUTES)[number];
export type GenerationStatus = (typeof GENERATION_STATUSES)[number];
export type GenerationResult = z.infer<typeof GenerationResultSchema>;
export type VerifyResult = z.infer<typeof VerifyResultSchema>;
export type SidecarRecord = z.infer<typeof SidecarRecordSchema>;
export type Strategy = (typeof STRATEGIES)[number];
export type StrategyEstimate = z.infer<typeof StrategyEstimateSchema>;
export type MasterRef = z.infer<typeof MasterRefSchema>;
export type EffectiveResolution = z.infer<typeof EffectiveResolutionSchema>;
export type UpscaleResult = z.infer<typeof UpscaleResultSchema>;
export type JobRecord = z.infer<typeof JobRecordSchema>;
export type Failure = z.infer<typeof FailureSchema>;
export type SidecarRequested = z.infer<typeof SidecarRequestedSchema>;
export type EditOf = z.infer<typeof EditOfSchema>;
export type EditLink = z.infer<typeof EditLinkSchema>;
export type BatchItem = z.infer<typeof BatchItemSchema>;
export type BatchReport = z.infer<typeof BatchReportSchema>;
export type BatchResult = z.infer<typeof BatchResultSchema>;
