// The production record of SPEC section 7: one typed SidecarRecord beside each image, and its manifest line.

import { createHash } from "node:crypto";
import { basename } from "node:path";
import type { ValidatedRequest } from "../../contract/request.js";
import { type GenerationResult, type ImageReport, RECORD_VERSION, type SidecarRecord } from "../../contract/schemas.js";
import type { Workspace } from "../../workspace/workspace.js";

export function sidecarRecord(
  result: GenerationResult,
  image: ImageReport,
  req: ValidatedRequest,
  offline: boolean,
): SidecarRecord {
  return {
    record_version: RECORD_VERSION,
    created_at: new Date().toISOString(),
    job_id: result.job_id,
    file: basename(image.path),
    path: image.path,
    provider: result.provider,
    route: result.route,
    endpoint: result.endpoint,
    billing_route: offline ? "none (offline simulator)" : `${result.provider} ${result.endpoint}`,
    model: result.model,
    prompt: req.prompt,
    prompt_sha256: createHash("sha256").update(req.prompt).digest("hex"),
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
}

/** Writes every image's sidecar and manifest line. */
export async function writeRecords(
  result: GenerationResult,
  req: ValidatedRequest,
  workspace: Workspace,
  offline: boolean,
): Promise<void> {
  for (const image of result.images) {
    const record = sidecarRecord(result, image, req, offline);
    await workspace.writeSidecar(record.file, record);
    const { result: _full, ...line } = record;
    await workspace.appendManifest(line);
  }
}
