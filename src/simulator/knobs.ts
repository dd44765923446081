// The simulator's misbehaviour knobs, by name: a queue of faults consumed one per request, set by environment
// (PIXELWRIGHT_SIM_FAULTS="500,429,reset"), by the control endpoint, or per request with a header; the provider
// variants (a dialect of the wire, also standing as a gateway mode); and the gateway modes. Names and parsing only:
// the state (context.ts) and the answers (faults.ts, wire.ts) import these, never the other way round.

import { ConfigError } from "../errors.js";

/** Provider variants that are a standing dialect: one-off as a fault, or for every answer as a gateway mode. */
export const VARIANTS = ["sse_done", "sse_cr", "sse_crlf", "b64_unpadded", "b64_escaped", "gzip"] as const;
export type Variant = (typeof VARIANTS)[number];

export const FAULTS = [
  "500",
  "503",
  "429",
  "quota",
  "reset",
  "hang",
  "truncate",
  "bad_base64",
  "not_image",
  "wrong_size",
  "moderation",
  "no_image",
  "stall_after_headers",
  "stall_mid_stream",
  "error_in_200",
  "error_in_200_server",
  ...VARIANTS,
] as const;
export type Fault = (typeof FAULTS)[number];

export function isFault(value: string): value is Fault {
  return (FAULTS as readonly string[]).includes(value);
}

/** "a, b ,c" (or a list) -> names; unknown names are an error, so a typo never silently passes. */
function parseNames<T extends string>(spec: string | string[] | undefined, known: readonly T[], what: string): T[] {
  const out: T[] = [];
  for (const raw of Array.isArray(spec) ? spec : (spec ?? "").split(",")) {
    const name = String(raw).trim();
    if (name === "") continue;
    if (!(known as readonly string[]).includes(name))
      throw new ConfigError(`unknown simulator ${what} '${name}'; known: ${known.join(", ")}`);
    out.push(name as T);
  }
  return out;
}

/** "500, 429 ,reset" -> ["500","429","reset"]. */
export function parseFaults(spec: string | string[] | undefined): Fault[] {
  return parseNames(spec, FAULTS, "fault");
}

/** "sse_done,gzip" -> ["sse_done","gzip"]: the dialects a gateway speaks on every answer. */
export function parseVariants(spec: string | string[] | undefined): Variant[] {
  return parseNames(spec, VARIANTS, "variant");
}

/**
 * How the next batch ends, consumed one per batch created (PIXELWRIGHT_SIM_BATCH_FAULTS, /_sim/control batch_faults):
 * running stays in progress until released; partial answers its last request with an error; expired and cancelled
 * answer the first half of the requests and end the rest unanswered; failed refuses the batch as a whole.
 */
export const BATCH_FAULTS = [
  "batch_running",
  "batch_partial",
  "batch_expired",
  "batch_cancelled",
  "batch_failed",
] as const;
export type BatchFault = (typeof BATCH_FAULTS)[number];

/** "batch_partial,batch_expired" -> the batch faults, in order. */
export function parseBatchFaults(spec: string | string[] | undefined): BatchFault[] {
  return parseNames(spec, BATCH_FAULTS, "batch fault");
}

/** Gateway behaviours the simulator can imitate (SPEC section 3). */
export interface GatewayModes {
  /** Answer with data[].url instead of b64_json. */
  urlOnly: boolean;
  /** Deliver images whose long edge is at most this many pixels (a silent downscale), 0 for never. */
  downscaleAbove: number;
  /** Ignore the requested size and deliver this one instead. */
  ignoreSizeWith: string | null;
  /** Ignore n: always one image. */
  ignoreN: boolean;
  /** Provider variants spoken on every answer. */
  variants: readonly Variant[];
}

export const NO_GATEWAY_MODES: GatewayModes = {
  urlOnly: false,
  downscaleAbove: 0,
  ignoreSizeWith: null,
  ignoreN: false,
  variants: [],
};
