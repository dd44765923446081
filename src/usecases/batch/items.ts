// The items of a batch before anything is sent: each checked exactly like a single generate_image call (the same
// request contract, the same refusals), then what a batch cannot carry; priced at the Batch price; and the key that
// makes an identical batch request share one job.

import { createHash } from "node:crypto";
import { batchEstimate, batchRefusal } from "../../contract/batch.js";
import type { CostEstimate } from "../../contract/cost.js";
import { type GenerateArgs, imagesApiBody, requestedOf } from "../../contract/request.js";
import type { BatchItem } from "../../contract/schemas.js";
import { InputError } from "../../errors.js";
import type { BatchRequestLine } from "../../upstream/batch-api.js";
import type { ReadAccess, Workspace } from "../../workspace/workspace.js";
import { dedupeKey, type PrepareDefaults, type PreparedGeneration, prepareGeneration } from "../generate/prepare.js";

/** One item as generate_batch takes it: generate_image's request arguments and a file name stem. */
export type ItemArgs = GenerateArgs & { filename?: string | undefined };

export interface PreparedItem {
  index: number;
  args: GenerateArgs;
  filename: string | null;
  prepared: PreparedGeneration;
  /** The item's estimate at the Batch price. */
  cost: CostEstimate;
}

/** The item's place in the batch's files (custom_id). */
export const customIdOf = (index: number) => `item-${index}`;

/** An item's refusal names the item: "items[2]: …". */
function itemError(index: number, err: unknown): unknown {
  if (!(err instanceof InputError)) return err;
  const field = err.field ? `items.${index}.${err.field}` : `items.${index}`;
  return new InputError(`items[${index}]: ${err.message}`, field, { cause: err });
}

/**
 * Checks every item before anything is sent: what a batch cannot carry first (no file is read for an item that is
 * refused anyway), then the whole request contract of a single call. The first refusal refuses the batch.
 */
export async function prepareItems(
  items: readonly ItemArgs[],
  defaults: PrepareDefaults,
  workspace: Workspace,
  access: { workspaceOnly?: ReadAccess | undefined } = {},
): Promise<PreparedItem[]> {
  const prepared: PreparedItem[] = [];
  for (const [index, item] of items.entries()) {
    const { filename, ...args } = item;
    const refusal = batchRefusal(args);
    if (refusal) throw new InputError(`items[${index}]: ${refusal} Nothing was sent.`, `items.${index}`);
    try {
      const generation = await prepareGeneration(args, defaults, workspace, { workspaceOnly: access.workspaceOnly });
      prepared.push({
        index,
        args,
        filename: filename ?? null,
        prepared: generation,
        cost: batchEstimate(generation.req.cost),
      });
    } catch (err) {
      throw itemError(index, err);
    }
  }
  return prepared;
}

/** Identical batch requests (the same items, in the same order) get the same key, and so share one job. */
export function batchKey(provider: string, items: readonly PreparedItem[]): string {
  const keys = items.map((i) => dedupeKey(provider, i.prepared, i.filename ?? undefined));
  return `batch:${createHash("sha256").update(JSON.stringify(keys)).digest("hex")}`;
}

/** The item as queued: its defaults resolved, so the worker prepares exactly what was checked. */
export function queuedItem(item: PreparedItem): { args: GenerateArgs; filename: string | null } {
  return { args: { ...item.args, model: item.prepared.req.model.id }, filename: item.filename };
}

/** The item's line in the batch's request file: the Images API body of a single call. */
export function requestLine(item: PreparedItem): BatchRequestLine {
  const { req } = item.prepared;
  return { customId: customIdOf(item.index), body: { ...imagesApiBody(req), ...(req.n > 1 ? { n: req.n } : {}) } };
}

/** The item as reported before the batch answered it. */
export function pendingItem(item: PreparedItem): BatchItem {
  const { req } = item.prepared;
  return {
    index: item.index,
    custom_id: customIdOf(item.index),
    status: "pending",
    model: req.model.id,
    requested: requestedOf(req),
    images: [],
    cost_estimate_usd: item.cost.usd,
    cost_usd: null,
    request_id: null,
    error: null,
    caveats: [...req.caveats],
  };
}
