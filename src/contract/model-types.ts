// The shapes of the model table (model-rows.ts holds the rows; models.ts looks them up). Pure types.

import type { PriceRow } from "./prices.js";

export type { PriceRow } from "./prices.js";

export type Quality = "low" | "medium" | "high" | "auto" | "xhigh" | "max";
export type OutputFormat = "png" | "jpeg" | "webp" | "gif";
export type Background = "auto" | "opaque" | "transparent";
export type Complexity = "low" | "medium" | "high";

/** The flexible-size rule set of SPEC section 1. */
export interface FlexibleSizeRules {
  kind: "flexible";
  maxEdge: number;
  multiple: number;
  maxAspect: number;
  minPixels: number;
  maxPixels: number;
  /** Above this many pixels the output is officially experimental. */
  experimentalAbove: number;
  /** false when the limits are inherited by assumption rather than documented for this model. */
  verified: boolean;
}

export interface FixedSizeRules {
  kind: "fixed";
  sizes: readonly (readonly [number, number])[];
}

export type SizeRules = FlexibleSizeRules | FixedSizeRules;

/** transparent-background support: "preview" works but is not yet generally available. */
export type TransparencySupport = "supported" | "preview" | "unsupported" | "unknown";

/** A request parameter only some models take (sent as is, refused locally for the others). */
export interface ModelParameter {
  name: "complexity";
  values: readonly string[];
  /** Where the parameter is documented. */
  source: string;
}

export interface ActiveModel {
  id: string;
  status: "active";
  /** Who serves it: an OpenAI model, or a name only gateways expose. */
  origin: "openai" | "gateway";
  sizes: SizeRules;
  supportsAuto: boolean;
  /** null when the qualities are not documented. */
  qualities: readonly Quality[] | null;
  transparency: TransparencySupport;
  /** Why the row says what it says about transparency: the sources and their dates, newest last. */
  transparencyNote?: string;
  transparentFormats: readonly OutputFormat[];
  formats: readonly OutputFormat[];
  maxReferenceImages: number;
  /** "omit": the API answers 400 when input_fidelity is sent. */
  inputFidelity: "omit" | readonly ("high" | "low")[];
  /** Parameters this model takes beyond the common ones (e.g. gpt-image-2.6's complexity). */
  parameters?: readonly ModelParameter[];
  /** Edits take `markup`: a transparent PNG drawn over the first image to guide the edit (GPT Image 2.5). */
  markup?: boolean;
  /** Gateway preset size names this model accepts, mapped to the size they promise. */
  tiers?: Readonly<Record<string, readonly [number, number]>>;
  /**
   * The model's list price row (prices.ts), or null when no price is published: the estimate then uses the highest
   * price of any row, and says so.
   */
  price: PriceRow | null;
  /** Set when the model's page marks it deprecated: it still answers, but it is not suggested. */
  deprecated?: string;
  notes: readonly string[];
  /** What a size check must tell the user about this model's limits, when anything. */
  sizeNote?: string;
}

export interface RetiredModel {
  id: string;
  status: "retired";
  /** ISO date the model stopped answering. */
  since: string;
  replacement: string;
}

export type ModelSpec = ActiveModel | RetiredModel;
