// The simulator's misbehaviour knobs: a queue of faults consumed one per request, set by environment
// (PIXELWRIGHT_SIM_FAULTS="500,429,reset"), by the control endpoint, or per request with a header.

export const FAULTS = [
  "500",
  "503",
  "429",
  "reset",
  "hang",
  "truncate",
  "bad_base64",
  "not_image",
  "wrong_size",
  "moderation",
  "no_image",
] as const;
export type Fault = (typeof FAULTS)[number];

export function isFault(value: string): value is Fault {
  return (FAULTS as readonly string[]).includes(value);
}

/** "500, 429 ,reset" -> ["500","429","reset"]; unknown names are an error, so a typo never silently passes. */
export function parseFaults(spec: string | undefined): Fault[] {
  if (!spec) return [];
  const out: Fault[] = [];
  for (const raw of spec.split(",")) {
    const name = raw.trim();
    if (name === "") continue;
    if (!isFault(name)) throw new Error(`unknown simulator fault '${name}'; known: ${FAULTS.join(", ")}`);
    out.push(name);
  }
  return out;
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
}

export const NO_GATEWAY_MODES: GatewayModes = {
  urlOnly: false,
  downscaleAbove: 0,
  ignoreSizeWith: null,
  ignoreN: false,
};
