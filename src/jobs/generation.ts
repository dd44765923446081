// The work of one generation job: call the upstream, decode what came back, save each image atomically, measure
// the saved file, judge it against the request, and write the production record (sidecar + manifest line).

import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { imagesApiBody, type ValidatedRequest } from "../contract/request.js";
import { type GenerationResult, type ImageReport, imageReport } from "../contract/results.js";
import { judge } from "../contract/verdict.js";
import { InputError, UpstreamError } from "../errors.js";
import { measureSaved, sha256Of } from "../imaging/inspect.js";
import { warmPreview } from "../imaging/preview.js";
import { rasterInfo } from "../imaging/render.js";
import { decodeBase64Strict, mimeType, sniffImage } from "../imaging/sniff.js";
import type { Logger } from "../log.js";
import type { Upstream } from "../upstream/index.js";
import type { InputFile, RetryRecord } from "../upstream/types.js";
import type { Workspace } from "../workspace/workspace.js";
import type { JobContext } from "./registry.js";

const MAX_REFERENCE_BYTES = 50 * 1024 * 1024;
const MAX_MASK_BYTES = 4 * 1024 * 1024;

export interface GenerationDeps {
  upstream: Upstream;
  workspace: Workspace;
  logger: Logger;
  offline: boolean;
}

export interface PreparedInputs {
  references: InputFile[];
  mask?: InputFile;
}

export function imageUri(name: string): string {
  return `pixelwright://images/${encodeURIComponent(name)}`;
}

/** Reads and checks reference images and the mask before anything is sent: the jail, sizes, formats, alpha. */
export async function prepareInputs(
  req: ValidatedRequest,
  workspace: Workspace,
  workspaceOnly = false,
): Promise<PreparedInputs> {
  const references: InputFile[] = [];
  for (const [i, requested] of req.referenceImages.entries()) {
    const path = await workspace.resolveReadable(requested, `reference_images[${i}]`, workspaceOnly);
    const bytes = await readFile(path);
    if (bytes.length >= MAX_REFERENCE_BYTES) {
      throw new InputError(
        `reference_images[${i}] is ${(bytes.length / 1e6).toFixed(1)} MB; each must be under 50 MB.`,
      );
    }
    const format = sniffImage(bytes);
    if (format !== "png" && format !== "jpeg" && format !== "webp") {
      throw new InputError(`reference_images[${i}] (${requested}) is not a PNG, JPEG or WebP image.`);
    }
    references.push({ name: basename(path), bytes, mimeType: mimeType(format) });
  }
  if (!req.mask) return { references };
  const maskPath = await workspace.resolveReadable(req.mask, "mask", workspaceOnly);
  const bytes = await readFile(maskPath);
  if (bytes.length >= MAX_MASK_BYTES)
    throw new InputError(`the mask is ${(bytes.length / 1e6).toFixed(1)} MB; it must be under 4 MB.`);
  if (sniffImage(bytes) !== "png") throw new InputError("the mask must be a PNG file.");
  const mask = await rasterInfo(bytes);
  const first = references[0] as InputFile;
  const image = await rasterInfo(first.bytes);
  if (!mask.hasAlpha) {
    throw new InputError("the mask has no alpha channel: make the areas to edit transparent in a PNG with alpha.");
  }
  if (mask.width !== image.width || mask.height !== image.height) {
    throw new InputError(
      `the mask is ${mask.width}x${mask.height} but the first reference image is ${image.width}x${image.height}; they must match.`,
    );
  }
  return { references, mask: { name: basename(maskPath), bytes, mimeType: "image/png" } };
}

export interface GenerationJobInput {
  jobId: string;
  req: ValidatedRequest;
  inputs: PreparedInputs;
  filename: string | undefined;
  provider: string;
  /** The caller will want the default preview: start encoding it while the file is written and measured. */
  warmPreview?: boolean;
}

interface DecodedImage {
  bytes: Buffer;
  format: string;
  revisedPrompt: string | null;
}

export async function runGeneration(
  input: GenerationJobInput,
  deps: GenerationDeps,
  ctx: JobContext,
): Promise<GenerationResult> {
  const { req, jobId, provider } = input;
  const started = Date.now();
  const { workspace, upstream, logger } = deps;
  const base = workspace.newName(input.filename ?? req.prompt, "x").replace(/\.x$/, "");
  const partialPaths: string[] = [];
  const partialSaves: Promise<void>[] = [];
  const retries: RetryRecord[] = [];
  const sizeLabel = req.wireSize === req.size.size ? req.wireSize : `${req.wireSize} (${req.size.size})`;

  const edit =
    input.inputs.references.length > 0
      ? { images: input.inputs.references, ...(input.inputs.mask ? { mask: input.inputs.mask } : {}) }
      : undefined;
  const call = {
    route: req.route,
    responsesModel: req.responsesModel,
    body: imagesApiBody(req),
    partialImages: req.partialImages,
    ...(edit ? { edit } : {}),
  };

  try {
    ctx.report(`sending ${sizeLabel} ${req.quality} to ${provider}`);
    const upstreamStarted = performance.now();
    const outcome = await upstream.generate(call, req.n, {
      signal: ctx.signal,
      onQueued: (queued) => {
        ctx.setStatus(queued ? "queued" : "running");
        if (queued) ctx.report(`queued: waiting for a free upstream slot (PIXELWRIGHT_MAX_CONCURRENCY)`);
      },
      onRetry: (retry) => {
        retries.push(retry);
        ctx.report(`retry ${retry.attempt} after ${retry.reason}, waiting ${Math.round(retry.delay_ms / 100) / 10} s`);
      },
      onPartial: (partial) => {
        partialSaves.push(savePartial(partial.index, partial.bytes ?? decodeBase64Strict(partial.b64 ?? "")));
      },
    });
    const upstreamMs = Math.round(performance.now() - upstreamStarted);
    const stages: Record<string, number> = {};
    let lap = performance.now();
    const mark = (stage: string) => {
      const now = performance.now();
      stages[stage] = Math.round(((stages[stage] ?? 0) + now - lap) * 10) / 10;
      lap = now;
    };
    // From here on the images are paid for: a cancel no longer discards them; the job completes and stays collectable.

    const problems: string[] = [];
    const decoded: DecodedImage[] = [];
    for (const [i, image] of outcome.images.entries()) {
      if (image.error || (!image.b64 && !image.bytes)) {
        problems.push(`image ${i + 1}: ${image.error ?? "no image data"}`);
        continue;
      }
      const bytes = image.bytes ?? decodeBase64Strict(image.b64 ?? "");
      // The base64 text is as large as the image again: let it go as soon as it is decoded.
      image.b64 = undefined;
      image.bytes = undefined;
      if (!bytes) {
        problems.push(`image ${i + 1}: its data is not valid base64`);
        continue;
      }
      const format = sniffImage(bytes);
      if (!format) {
        problems.push(`image ${i + 1} is not an image (no PNG, JPEG or WebP signature)`);
        continue;
      }
      decoded.push({ bytes, format, revisedPrompt: image.revisedPrompt ?? null });
    }
    const rid = outcome.requestIds.join(", ") || "none";
    if (decoded.length === 0) {
      throw new UpstreamError(
        `no usable image in the answer: ${problems.join("; ") || "the answer held no images"}. Nothing was saved.`,
        { retryable: false, requestId: outcome.requestIds[0] ?? null, provider },
      );
    }

    mark("decode");
    ctx.report(`saving and measuring ${decoded.length} image${decoded.length > 1 ? "s" : ""}`);
    const images: ImageReport[] = [];
    const caveats = [...req.caveats];
    for (const failure of outcome.failures) caveats.push(`One of the parallel requests failed: ${failure}`);
    for (const problem of problems) caveats.push(`Dropped: ${problem} (request ids ${rid}).`);
    if (deps.offline) {
      caveats.push(
        "Offline simulator: no model was called; the image is a placeholder of the requested size. Set OPENAI_API_KEY to generate real images.",
      );
    }
    if (outcome.images.length < req.n) {
      caveats.push(`Requested ${req.n} images but ${provider} returned ${outcome.images.length}.`);
    }

    for (const [i, image] of decoded.entries()) {
      const name = `${base}${decoded.length > 1 ? `-${i + 1}` : ""}.${image.format === "jpeg" ? "jpg" : image.format}`;
      if (input.warmPreview && decoded.length <= 2) {
        warmPreview(workspace.pathOf(name), image.bytes, (await rasterInfo(image.bytes)).hasAlpha);
        mark("preview_start");
      }
      // Hash on this thread while the write runs on the I/O pool; then read the saved file's header back.
      const writing = workspace.save(name, image.bytes);
      const sha = sha256Of(image.bytes);
      const saved = await writing;
      mark("save");
      const measured = await measureSaved(saved.path, image.bytes, sha);
      mark("measure");
      const verdict = judge(measured, { width: req.width, height: req.height, format: req.format });
      const report = imageReport(
        { path: saved.path, uri: imageUri(name) },
        measured,
        { width: req.width, height: req.height },
        verdict,
        image.revisedPrompt,
      );
      if (!report.verified && report.requested_size !== null && report.mismatch) {
        caveats.push(
          `${report.mismatch} Delivered by ${provider}; the file is kept, but it is not what was asked for.`,
        );
      }
      images.push(report);
    }

    const result: GenerationResult = {
      status: "completed",
      job_id: jobId,
      provider,
      route: req.route,
      endpoint: upstream.endpointPath(call),
      model: req.model.id,
      requested: {
        size: req.wireSize,
        quality: req.quality,
        output_format: req.format,
        background: req.background ?? null,
        n: req.n,
      },
      images,
      caveats,
      request_ids: outcome.requestIds,
      usage: outcome.usage as Record<string, unknown> | null,
      cost_estimate_usd: req.cost.usd,
      elapsed_ms: Date.now() - started,
      upstream_ms: upstreamMs,
      retries,
      next: null,
      reused_job: false,
      dry_run: false,
      message: null,
      responses_model: req.route === "responses" ? req.responsesModel : null,
      response_ids: outcome.responseIds,
      image_call_ids: outcome.callIds,
      assistant_text: outcome.assistantText,
    };
    await writeRecords(result, input, deps);
    mark("records");
    logger.debug({ job: jobId, upstream_ms: upstreamMs, stages }, "generation stages (ms)");
    return result;
  } finally {
    // Partial previews live only while the job runs (documented in the README).
    await Promise.allSettled(partialSaves);
    await Promise.all(partialPaths.map((p) => workspace.removeSaved(p)));
  }

  async function savePartial(index: number, bytes: Buffer | null): Promise<void> {
    const format = bytes ? sniffImage(bytes) : null;
    if (!bytes || !format || ctx.signal.aborted) return;
    const name = `${base}.partial-${index}.${format === "jpeg" ? "jpg" : format}`;
    // Report on arrival, not after the write: a notification sent right before the result can be dropped by SDK
    // clients that read both in one chunk (they handle notifications a tick later than responses).
    ctx.report(`partial image ${index + 1} of ${req.partialImages} received`, { index, path: workspace.pathOf(name) });
    try {
      const saved = await workspace.save(name, bytes);
      partialPaths.push(saved.path);
    } catch (err) {
      logger.warn({ err }, "could not save a partial image");
    }
  }
}

/** The production record of SPEC section 7, beside each image and in the manifest. */
async function writeRecords(result: GenerationResult, input: GenerationJobInput, deps: GenerationDeps): Promise<void> {
  const { req } = input;
  const promptSha = createHash("sha256").update(req.prompt).digest("hex");
  for (const image of result.images) {
    const name = basename(image.path);
    const record = {
      record_version: 1,
      created_at: new Date().toISOString(),
      job_id: result.job_id,
      file: name,
      path: image.path,
      provider: result.provider,
      route: result.route,
      endpoint: result.endpoint,
      billing_route: deps.offline ? "none (offline simulator)" : `${result.provider} ${result.endpoint}`,
      model: result.model,
      prompt: req.prompt,
      prompt_sha256: promptSha,
      requested: { ...result.requested, partial_images: req.partialImages },
      saved: {
        width: image.width,
        height: image.height,
        format: image.format,
        bytes: image.bytes,
        sha256: image.sha256,
        has_alpha: image.has_alpha,
      },
      expected_size: image.requested_size,
      expected_format: req.format,
      verified: image.verified,
      mismatch: image.mismatch,
      experimental: image.experimental,
      decision: image.upscaled ? "2k-master-plus-upscale" : "native",
      partial_images:
        req.partialImages > 0 ? `${req.partialImages} streamed; previews removed when the job ended` : "none",
      revised_prompt: image.revised_prompt,
      responses_model: result.responses_model,
      response_ids: result.response_ids,
      request_ids: result.request_ids,
      retries: result.retries,
      usage: result.usage,
      cost_estimate_usd: result.cost_estimate_usd,
      elapsed_ms: result.elapsed_ms,
      result,
    };
    await deps.workspace.writeSidecar(name, record);
    const { result: _full, ...line } = record;
    await deps.workspace.appendManifest(line);
  }
}
