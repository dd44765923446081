// The work of one generation job, as steps: call the upstream, keep what is an image, save and measure each one,
// build the result, write the production record.

import { endpointPath, imagesApiBody, requestedOf, type ValidatedRequest } from "../../contract/request.js";
import { generationResult } from "../../contract/results.js";
import type { GenerationResult, ImageReport, RetryRecord } from "../../contract/schemas.js";
import { UpstreamError } from "../../errors.js";
import type { JobContext } from "../../jobs/registry.js";
import type { Logger } from "../../log.js";
import type { Upstream, UpstreamOutcome } from "../../upstream/index.js";
import type { ImageCall } from "../../upstream/types.js";
import type { Workspace } from "../../workspace/workspace.js";
import type { PreparedInputs } from "./prepare.js";
import { writeRecords } from "./record.js";
import { PartialImages, saveAndMeasure, usableImages } from "./save.js";

export interface GenerationDeps {
  upstream: Upstream;
  workspace: Workspace;
  logger: Logger;
  offline: boolean;
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

function imageCall(req: ValidatedRequest, inputs: PreparedInputs): ImageCall {
  const edit =
    inputs.references.length > 0 ? { images: inputs.references, ...(inputs.mask ? { mask: inputs.mask } : {}) } : null;
  return {
    route: req.route,
    responsesModel: req.responsesModel,
    body: imagesApiBody(req),
    partialImages: req.partialImages,
    ...(edit ? { edit } : {}),
  };
}

/** Step 1: the paid call, with progress for queueing, retries and partial images. */
async function callUpstream(
  input: GenerationJobInput,
  deps: GenerationDeps,
  ctx: JobContext,
  partials: PartialImages,
  retries: RetryRecord[],
): Promise<UpstreamOutcome> {
  const { req, provider } = input;
  const sizeLabel = req.wireSize === req.size.size ? req.wireSize : `${req.wireSize} (${req.size.size})`;
  ctx.report(`sending ${sizeLabel} ${req.quality} to ${provider}`);
  return deps.upstream.generate(imageCall(req, input.inputs), req.n, {
    signal: ctx.signal,
    onQueued: (queued) => {
      ctx.setStatus(queued ? "queued" : "running");
      if (queued) ctx.report("queued: waiting for a free upstream slot (PIXELWRIGHT_MAX_CONCURRENCY)");
    },
    onRetry: (retry) => {
      retries.push(retry);
      ctx.report(`retry ${retry.attempt} after ${retry.reason}, waiting ${Math.round(retry.delay_ms / 100) / 10} s`);
    },
    onPartial: (partial) => {
      partials.add(partial.index, partial.bytes, ctx.signal.aborted, (path) =>
        ctx.report(`partial image ${partial.index + 1} of ${req.partialImages} received`, {
          index: partial.index,
          path,
        }),
      );
    },
  });
}

/** The caveats every completed result carries: the request's own, dropped images, offline, short deliveries. */
function outcomeCaveats(
  input: GenerationJobInput,
  outcome: UpstreamOutcome,
  problems: string[],
  offline: boolean,
): string[] {
  const { req, provider } = input;
  const rid = outcome.requestIds.join(", ") || "none";
  const caveats = [...req.caveats];
  for (const failure of outcome.failures) caveats.push(`One of the parallel requests failed: ${failure}`);
  for (const problem of problems) caveats.push(`Dropped: ${problem} (request ids ${rid}).`);
  if (offline) {
    caveats.push(
      "Offline simulator: no model was called; the image is a placeholder of the requested size. Set OPENAI_API_KEY to generate real images.",
    );
  }
  if (outcome.images.length < req.n) {
    caveats.push(`Requested ${req.n} images but ${provider} returned ${outcome.images.length}.`);
  }
  return caveats;
}

function completed(
  input: GenerationJobInput,
  outcome: UpstreamOutcome,
  images: ImageReport[],
  caveats: string[],
  timing: { elapsed_ms: number; upstream_ms: number },
  retries: RetryRecord[],
): GenerationResult {
  const { req } = input;
  return generationResult(
    "completed",
    {
      job_id: input.jobId,
      provider: input.provider,
      route: req.route,
      endpoint: endpointPath(req.route, input.inputs.references.length > 0),
      model: req.model.id,
      requested: requestedOf(req),
    },
    {
      images,
      caveats,
      request_ids: outcome.requestIds,
      usage: outcome.usage as Record<string, unknown> | null,
      cost_estimate_usd: req.cost.usd,
      ...timing,
      retries,
      responses_model: req.route === "responses" ? req.responsesModel : null,
      response_ids: outcome.responseIds,
      image_call_ids: outcome.callIds,
      assistant_text: outcome.assistantText,
    },
  );
}

export async function runGeneration(
  input: GenerationJobInput,
  deps: GenerationDeps,
  ctx: JobContext,
): Promise<GenerationResult> {
  const { req, provider } = input;
  const started = Date.now();
  const { workspace } = deps;
  const base = workspace.newName(input.filename ?? req.prompt, "x").replace(/\.x$/, "");
  const partials = new PartialImages(workspace, base, deps.logger);
  const retries: RetryRecord[] = [];
  try {
    const upstreamStarted = performance.now();
    const outcome = await callUpstream(input, deps, ctx, partials, retries);
    const upstreamMs = Math.round(performance.now() - upstreamStarted);
    // From here on the images are paid for: a cancel no longer discards them; the job completes and stays collectable.
    const { decoded, problems } = usableImages(outcome.images);
    if (decoded.length === 0) {
      throw new UpstreamError(
        `no usable image in the answer: ${problems.join("; ") || "the answer held no images"}. Nothing was saved.`,
        { retryable: false, requestId: outcome.requestIds[0] ?? null, provider },
      );
    }
    ctx.report(`saving and measuring ${decoded.length} image${decoded.length > 1 ? "s" : ""}`);
    const caveats = outcomeCaveats(input, outcome, problems, deps.offline);
    const options = { workspace, req, base, count: decoded.length, warmPreview: input.warmPreview ?? false };
    const images: ImageReport[] = [];
    for (const [i, image] of decoded.entries()) {
      const report = await saveAndMeasure(image, i, options);
      if (!report.verified && report.requested_size !== null && report.mismatch) {
        caveats.push(
          `${report.mismatch} Delivered by ${provider}; the file is kept, but it is not what was asked for.`,
        );
      }
      images.push(report);
    }
    const timing = { elapsed_ms: Date.now() - started, upstream_ms: upstreamMs };
    const result = completed(input, outcome, images, caveats, timing, retries);
    await writeRecords(result, req, workspace, deps.offline);
    return result;
  } finally {
    // Partial previews live only while the job runs (documented in the README).
    await partials.removeAll();
  }
}
