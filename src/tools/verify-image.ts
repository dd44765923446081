import { z } from "zod";
import { batchHeadline } from "../contract/batch.js";
import { headline } from "../contract/results.js";
import {
  type BatchResult,
  type GenerationStatus,
  type ImageReport,
  type VerifyResult,
  VerifyResultSchema,
} from "../contract/schemas.js";
import { InputError } from "../errors.js";
import type { Runtime } from "../runtime.js";
import { imageContent } from "./content.js";
import { defineTool } from "./define.js";
import { progressReporter } from "./progress.js";

/** One sentence on native or upscaled: stated by a record, or measured (and then called a heuristic). */
function detailSentence(images: ImageReport[]): string {
  const parts: string[] = [];
  for (const image of images) {
    const e = image.effective_resolution;
    if (!e) continue;
    if (!e.heuristic) {
      parts.push(` Upscaled locally from ${e.effective_width}x${e.effective_height} (stated by its record).`);
    } else if (e.likely_upscaled) {
      parts.push(
        ` Likely upscaled (heuristic): ${image.width}x${image.height} carries no more detail than about ${e.effective_width}x${e.effective_height}.`,
      );
    }
  }
  return parts.join("");
}

/** A collected job's verdict: every image verified, a mismatch, nothing to verify against, or the job's state. */
function jobVerdict(status: GenerationStatus, images: ImageReport[]): VerifyResult["status"] {
  if (status !== "completed") return status;
  if (images.every((i) => i.verified)) return "verified";
  return images.some((i) => i.requested_size !== null) ? "mismatch" : "unverifiable";
}

/** A generate_batch job, collected: the batch's own fields beside the verdict on every saved image. */
async function presentBatch(result: BatchResult, runtime: Runtime, mode: "preview" | "none" | "full") {
  const measured = result.status === "completed" ? await runtime.images.withDetail(result.images) : result.images;
  const { content, notes } = await imageContent(measured, mode);
  const { status, images: _images, caveats, ...fields } = result;
  const structured: VerifyResult = {
    ...fields,
    status: jobVerdict(status, measured),
    job_status: status,
    images: measured,
    caveats: [...caveats, ...notes],
  };
  return { structured, summary: `${batchHeadline(result)}${detailSentence(measured)}`, content };
}

export function verifyImageTool(runtime: Runtime) {
  const { config, images } = runtime;
  return defineTool({
    name: "verify_image",
    title: "Verify an image",
    kind: "inspect",
    description: [
      "Measure an image file and check it against what was asked for: the proof of delivery.",
      'Give exactly one of: path (a file in the workspace or an allowed read root); url (an https image, e.g. a CDN or CMS export: downloaded under size, type and address guards, measured, not saved); or job_id (from a generate_image result with status "running": waits up to wait_seconds for that job, then reports it exactly like a completed generate_image; from generate_batch: collects the batch once it has ended, every image saved and verified, each failed item with its reason).',
      "Without expected_size the expectation comes from the file's production record (sidecar) when there is one.",
      "Each image also gets effective_resolution: native or likely upscaled (e.g. a gateway's 4K made from 1920x1080), estimated from its detail (a heuristic, labelled so) or, for files this server upscaled, stated by the production record.",
      "It never generates and never pays.",
    ].join(" "),
    input: {
      path: z.string().min(1).max(4096).optional().describe("image file to measure"),
      url: z.string().min(1).max(8192).optional().describe("an https image URL to measure"),
      job_id: z.string().min(1).max(100).optional().describe("a job_id returned by generate_image or generate_batch"),
      expected_size: z.string().max(100).optional().describe("WIDTHxHEIGHT the file should have"),
      expected_format: z.enum(["png", "jpeg", "webp", "gif"]).optional(),
      wait_seconds: z
        .number()
        .min(0)
        .max(600)
        .optional()
        .describe(`with job_id: how long to wait (default ${config.waitSeconds})`),
      return_image: z.enum(["preview", "none", "full"]).optional().describe("default preview"),
    },
    output: VerifyResultSchema,
    handler: async (args, extra) => {
      const given = [args.path, args.url, args.job_id].filter((v) => v !== undefined).length;
      if (given !== 1) throw new InputError("give exactly one of path, url or job_id.");
      const mode = args.return_image ?? "preview";
      if (args.job_id !== undefined) {
        const onProgress = progressReporter(extra);
        const waiting = {
          waitSeconds: args.wait_seconds ?? config.waitSeconds,
          signal: extra.signal,
          ...(onProgress ? { onProgress } : {}),
        };
        const batch = await images.batches.collect(args.job_id, waiting);
        if (batch) return presentBatch(batch, runtime, mode);
        const result = await images.collect(args.job_id, waiting);
        const status = jobVerdict(result.status, result.images);
        const measured = result.status === "completed" ? await images.withDetail(result.images) : result.images;
        const { content, notes } = await imageContent(measured, mode, new Map(), images.keptPreview);
        const structured = {
          ...result,
          images: measured,
          status,
          job_status: result.status,
          caveats: [...result.caveats, ...notes],
        };
        return { structured, summary: `${headline(result)}${detailSentence(measured)}`, content };
      }
      const { result: verified, bytes } =
        args.url !== undefined
          ? { result: await images.verifyUrl(args.url, args.expected_size, args.expected_format, extra.signal) }
          : await images.verifyPath(
              args.path as string,
              args.expected_size,
              args.expected_format,
              await extra.access(),
            );
      const image = verified.images[0];
      // A remote image is not on disk: it gets no preview or resource link, only its measurement. A file's preview
      // comes from the bytes that were measured, never from reading the name again.
      const { content } =
        args.url !== undefined || !image
          ? { content: [] }
          : await imageContent(verified.images, mode, new Map(bytes ? [[image.path, bytes]] : []));
      const summary = !image
        ? "No image."
        : verified.status === "verified"
          ? `Verified: ${image.path} is ${image.width}x${image.height} ${image.format.toUpperCase()} as expected.`
          : verified.status === "mismatch"
            ? `${image.mismatch} File: ${image.path}.`
            : `Measured ${image.path}: ${image.width}x${image.height} ${image.format.toUpperCase()} (no expected size to verify against; pass expected_size).`;
      return { structured: verified, summary: `${summary}${detailSentence(verified.images)}`, content };
    },
  });
}
