// The model table: the rows (model-rows.ts, each with its sources), looked up by name. Adding a model is a row
// there, not a new branch elsewhere.

import { ROWS, UNVERIFIED_FLEXIBLE } from "./model-rows.js";
import type { ActiveModel, ModelSpec } from "./model-types.js";

export { FLEXIBLE_RULES, GATEWAY_TIERS } from "./model-rows.js";
export type * from "./model-types.js";
export { GPT_IMAGE_2_PRICE } from "./prices.js";

export const MODELS: ReadonlyMap<string, ModelSpec> = new Map(ROWS.map((row) => [row.id, row]));

export const DEFAULT_MODEL = "gpt-image-2";

/**
 * The text model that calls the image_generation tool on the Responses route, unless configured otherwise.
 * gpt-5.5: OpenAI's changelog (May 2026) recommends it for production API use, and apiyi verified gpt-5.5 with the
 * image_generation tool on /v1/responses (2026-06-17). gpt-5.6 (Luna, Terra, Sol) exists, but no page found says
 * which of its ids call the image tool.
 */
export const DEFAULT_RESPONSES_MODEL = "gpt-5.5";

/** Model names gateways invent are accepted; anything that cannot be a model identifier is not. */
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

export type ModelLookup =
  | { kind: "known"; spec: ModelSpec }
  | { kind: "unknown"; id: string; assumed: ActiveModel }
  | { kind: "invalid"; id: string };

export function lookupModel(name: string): ModelLookup {
  const id = name.trim();
  const spec = MODELS.get(id) ?? MODELS.get(id.toLowerCase());
  if (spec) return { kind: "known", spec };
  if (!MODEL_NAME.test(id)) return { kind: "invalid", id };
  const base = MODELS.get(DEFAULT_MODEL) as ActiveModel;
  return {
    kind: "unknown",
    id,
    assumed: {
      ...base,
      id,
      sizes: UNVERIFIED_FLEXIBLE,
      transparency: "unknown",
      transparencyNote: `${id} is not a model pixelwright knows: its transparency is unknown.`,
      price: null,
      notes: [],
      sizeNote: `${id} is not a model pixelwright knows: validated with the gpt-image-2 rules; verify the saved file.`,
    },
  };
}

/** Models only gateways expose, which take preset tier names as sizes (e.g. gpt-image-2-pro with 16:9(4K)). */
export function tierModels(): string[] {
  return activeModels()
    .filter((m) => m.origin === "gateway" && m.tiers !== undefined)
    .map((m) => m.id);
}

export function activeModels(): ActiveModel[] {
  return ROWS.filter((row): row is ActiveModel => row.status === "active");
}

const SNAPSHOT = /-\d{4}-\d{2}-\d{2}$/;

/** The OpenAI models to suggest for a feature: current (not deprecated), not snapshots, by their ids. */
export function suggestedModels(has: (model: ActiveModel) => boolean): string[] {
  return activeModels()
    .filter((m) => m.origin === "openai" && !m.deprecated && !SNAPSHOT.test(m.id) && has(m))
    .map((m) => m.id);
}
