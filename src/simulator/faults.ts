// The simulator's misbehaviour knobs: a queue of faults consumed one per request, set by environment
// (PIXELWRIGHT_SIM_FAULTS="500,429,reset"), by the control endpoint, or per request with a header; and the answers
// of the faults that replace a whole answer.

import { ConfigError } from "../errors.js";
import type { Exchange, SimState } from "./context.js";
import { reject, sleep, untilAborted } from "./http.js";

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
    if (!isFault(name)) throw new ConfigError(`unknown simulator fault '${name}'; known: ${FAULTS.join(", ")}`);
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

/** The next fault (a request header wins over the queue), after the configured latency. */
export async function takeFault(state: SimState, ex: Exchange): Promise<Fault | undefined> {
  state.stats.imageRequests++;
  const headerFault = ex.req.headers["x-sim-fault"];
  const fault = typeof headerFault === "string" && isFault(headerFault) ? headerFault : state.faults.shift();
  ex.record.fault = fault;
  const headerLatency = Number(ex.req.headers["x-sim-latency-ms"]);
  await sleep(Number.isFinite(headerLatency) && headerLatency >= 0 ? headerLatency : state.latencyMs, ex.signal);
  return fault;
}

/** Faults that replace the answer: throws an API error, or returns true when the connection was dealt with. */
export async function answerFault(fault: Fault | undefined, ex: Exchange): Promise<boolean> {
  switch (fault) {
    case "500":
      throw reject(500, "The server had an error while processing your request. Sorry about that!", {
        type: "server_error",
      });
    case "503":
      throw reject(503, "The engine is currently overloaded, please try again later.", { type: "server_error" });
    case "429":
      ex.res.setHeader("retry-after", "1");
      throw reject(429, "Rate limit reached for images per minute. Please try again in 1s.", {
        type: "requests",
        code: "rate_limit_exceeded",
      });
    case "moderation":
      throw reject(400, "Your request was rejected as a result of our safety system.", {
        type: "image_generation_user_error",
        code: "moderation_blocked",
      });
    case "reset":
      ex.req.socket.destroy();
      return true;
    case "hang":
      await untilAborted(ex.signal);
      return true;
    default:
      return ex.signal.aborted;
  }
}
