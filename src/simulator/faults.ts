// The simulator's misbehaviour knobs: a queue of faults consumed one per request, set by environment
// (PIXELWRIGHT_SIM_FAULTS="500,429,reset"), by the control endpoint, or per request with a header; the provider
// variants (a dialect of the wire, also standing as a gateway mode); and the answers of the faults that replace a
// whole answer.

import { ConfigError } from "../errors.js";
import type { Exchange, SimState } from "./context.js";
import { reject, sleep, untilAborted } from "./http.js";
import { openSse } from "./sse.js";
import { answerHeaders, sendAnswer, type Wire } from "./wire.js";

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

/** Errors some providers send with HTTP 200: `{"error": {message, type, code}}` in place of the answer. */
const ERRORS_IN_200 = {
  error_in_200: {
    message: "You exceeded your current quota, please check your plan and billing details.",
    type: "insufficient_quota",
    code: "insufficient_quota",
  },
  error_in_200_server: {
    message: "The upstream channel is temporarily unavailable, please try again later.",
    type: "server_error",
    code: "upstream_unavailable",
  },
} as const;

/** A 200 carrying an error: the JSON body, or one `error` event on a stream (as the SDK's stream reader expects). */
async function errorIn200(ex: Exchange, wire: Wire, stream: boolean, error: object): Promise<void> {
  if (!stream) return sendAnswer(ex, wire, { error });
  const sse = openSse(ex, wire);
  await sse.send("error", { error });
  sse.end();
}

/** What happens to the answer, after the fault: its wire, and whether it was asked to stream. */
export interface AnswerShape {
  wire: Wire;
  stream: boolean;
}

/** Faults that replace the answer: throws an API error, or returns true when the connection was dealt with. */
export async function answerFault(fault: Fault | undefined, ex: Exchange, shape: AnswerShape): Promise<boolean> {
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
    case "quota":
      throw reject(429, "You exceeded your current quota, please check your plan and billing details.", {
        type: "insufficient_quota",
        code: "insufficient_quota",
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
    case "stall_after_headers":
      ex.res.writeHead(200, answerHeaders(shape.wire, shape.stream));
      ex.res.flushHeaders();
      await untilAborted(ex.signal);
      return true;
    case "error_in_200":
    case "error_in_200_server":
      await errorIn200(ex, shape.wire, shape.stream, ERRORS_IN_200[fault]);
      return true;
    default:
      return ex.signal.aborted;
  }
}
