import { z } from "zod";
import type { Config } from "../config.js";
import { batchHeadline, MAX_BATCH_ITEMS } from "../contract/batch.js";
import { BatchResultSchema } from "../contract/schemas.js";
import type { Runtime } from "../runtime.js";
import { defineTool } from "./define.js";
import { generateInput } from "./generate-image.js";

/** The arguments of one item: generate_image's request arguments; waiting, previews and spend are the batch's. */
const CALL_ONLY = ["wait_seconds", "return_image", "strategy", "dry_run", "confirm_spend", "fresh"] as const;

function itemInput(config: Config) {
  const shape: Record<string, z.ZodType> = { ...generateInput(config) };
  for (const key of CALL_ONLY) delete shape[key];
  return z.strictObject(shape as Omit<ReturnType<typeof generateInput>, (typeof CALL_ONLY)[number]>);
}

export function generateBatchTool(runtime: Runtime) {
  const { config, images } = runtime;
  return defineTool({
    name: "generate_batch",
    title: "Generate images through the Batch API",
    kind: "generate",
    description: [
      "Generate many images at the Batch API's discount (half the list price) when they are not needed at once: results arrive within 24 h. This is a paid call.",
      "items: up to 100 generate_image argument objects (prompt, size, model, quality, output_format, background, n, ...). Every item is checked exactly like a single generate_image call, and the whole batch is refused before anything is sent when one item is invalid; reference_images, mask, markup, edit_of, partial_images and route responses need generate_image.",
      'It answers at once with status "running" and a job_id. Call verify_image with that job_id to collect: once the batch has ended every image is saved, measured, verified and recorded with cost_usd at the batch price, and each item that failed says why. A collected batch is never collected twice: verify_image again reports the saved files.',
      "An identical batch request returns the existing job instead of paying twice (fresh: true sends a new batch). Under PIXELWRIGHT_MAX_SPEND_USD the whole batch must fit before it is sent.",
      "Use dry_run: true to check every item and see each estimate and the total at the batch price without sending anything.",
    ].join(" "),
    input: {
      items: z
        .array(itemInput(config))
        .min(1)
        .max(MAX_BATCH_ITEMS)
        .describe("the images to make: each a generate_image request"),
      dry_run: z.boolean().optional().describe("check every item and estimate the batch without sending it"),
      confirm_spend: z
        .boolean()
        .optional()
        .describe("the person already agreed to the cost: skip the PIXELWRIGHT_CONFIRM_ABOVE_USD question"),
      fresh: z.boolean().optional().describe("send a new batch even if an identical one was sent in the last 24 h"),
    },
    output: BatchResultSchema,
    handler: async (args, extra) => {
      const result = await images.batches.start(args.items, {
        dryRun: args.dry_run,
        fresh: args.fresh,
        confirmSpend: args.confirm_spend,
        confirm: extra.confirm,
        workspaceOnly: await extra.access(),
      });
      return { structured: result, summary: batchHeadline(result) };
    },
  });
}
