// The Batch API as pixelwright sends it (generate_batch): which requests a batch can carry, what it costs (the list
// price at the Batch discount, one formula for the estimate and the bill), and the sentences of its results. Pure.

import { type CostEstimate, costFromUsage } from "./cost.js";
import type { ActiveModel } from "./model-types.js";
import { BATCH_DISCOUNT } from "./prices.js";
import type { GenerateArgs } from "./request-args.js";
import type { BatchItem, BatchReport, BatchResult } from "./schemas.js";

/** Every request of a batch goes to one endpoint: pixelwright's batches are Images API generations. */
export const BATCH_ENDPOINT = "/v1/images/generations";
/** The only completion window the Batch API offers. */
export const BATCH_WINDOW = "24h";
export const BATCH_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Items per generate_batch call: each answer carries whole images (a 4K PNG is tens of MB in the output file). */
export const MAX_BATCH_ITEMS = 100;

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/**
 * What a batch item may not ask for although a single call may, with why: the batch carries JSON lines to one
 * endpoint, with no file uploads and no stream. Null when the item can go in a batch.
 */
export function batchRefusal(args: GenerateArgs): string | null {
  if (args.route === "responses") {
    return 'route "responses" does not go through a batch here: pixelwright sends batches to the Images API (/v1/images/generations). Leave route out, or call generate_image for this item.';
  }
  const edits = [args.reference_images?.length, args.mask, args.markup, args.edit_of];
  if (edits.some((given) => given !== undefined && given !== 0)) {
    return "reference_images, mask, markup and edit_of need the edit endpoint with uploaded images, which pixelwright does not send through a batch: call generate_image for this item.";
  }
  if ((args.partial_images ?? 0) > 0) {
    return "partial_images streams previews while an image renders; a batch answers once, in its output file. Leave partial_images out.";
  }
  return null;
}

/** An estimate at the Batch price: the list estimate times the discount, the basis saying so first. */
export function batchEstimate(cost: CostEstimate): CostEstimate {
  return {
    usd: round4(cost.usd * BATCH_DISCOUNT.factor),
    output_tokens_per_image: cost.output_tokens_per_image,
    basis: `Batch API price, ${BATCH_DISCOUNT.factor * 100}% of the list price (${BATCH_DISCOUNT.source}), of: ${cost.basis}`,
  };
}

/** What an answer of a batch was billed: its usage at the model's list prices, times the discount. */
export function batchCostFromUsage(model: ActiveModel, usage: Parameters<typeof costFromUsage>[1]): number | null {
  const list = costFromUsage(model, usage);
  return list === null ? null : round4(list * BATCH_DISCOUNT.factor);
}

/** Items counted by what became of them. */
export function batchCounts(items: readonly Pick<BatchItem, "status">[]): BatchReport["counts"] {
  const count = (status: BatchItem["status"]) => items.filter((i) => i.status === status).length;
  return { total: items.length, completed: count("completed"), failed: count("failed"), pending: count("pending") };
}

/** The sum of what is known (null when nothing is). */
export function sumUsd(values: readonly (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : round4(known.reduce((a, b) => a + b, 0));
}

function failedItems(report: BatchReport): string {
  const failed = report.items.filter((i) => i.status === "failed");
  if (failed.length === 0) return "";
  const first = failed
    .slice(0, 3)
    .map((i) => `item ${i.index} (${i.error?.message.replace(/\.$/, "") ?? "failed"})`)
    .join("; ");
  return ` ${failed.length} failed: ${first}${failed.length > 3 ? "; …" : ""}.`;
}

/** The first sentence of a batch result: what was delivered, what failed, or how to collect it. */
export function batchHeadline(result: BatchResult): string {
  const { batch } = result;
  const price = result.cost_estimate_usd === null ? "cost unknown" : `about $${result.cost_estimate_usd.toFixed(4)}`;
  if (result.dry_run) {
    return `Dry run: ${batch.counts.total} item(s) are valid for the Batch API (${price} at the batch price); nothing was sent.`;
  }
  if (result.status === "running") {
    const state = batch.batch_id ? `sent as ${batch.batch_id}, ${batch.batch_status ?? "running"}` : "being sent";
    return `Batch of ${batch.counts.total} item(s) ${state} (${price} at the batch price; results within 24 h): call verify_image with job_id "${result.job_id}" to collect it.`;
  }
  if (result.status === "failed") {
    return `Batch failed: ${result.message ?? "no image was delivered"}${failedItems(batch)}`;
  }
  const verified = result.images.filter((i) => i.verified).length;
  const billed = result.cost_usd === null ? "" : ` ($${result.cost_usd.toFixed(4)} at the batch price)`;
  return `Batch ${batch.batch_id ?? ""} ${batch.batch_status ?? "ended"}: ${batch.counts.completed} of ${batch.counts.total} item(s) delivered, ${result.images.length} image(s) saved, ${verified} verified${billed}.${failedItems(batch)}`;
}
