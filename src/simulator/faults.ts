// The faults in action: the next fault of a request (a header wins over the queue), and the answers of the faults
// that replace a whole answer. Their names and the gateway modes are in knobs.ts.

import type { Exchange, SimState } from "./context.js";
import { reject, sleep, untilAborted } from "./http.js";
import { type Fault, isFault } from "./knobs.js";
import { openSse } from "./sse.js";
import { answerHeaders, sendAnswer, type Wire } from "./wire.js";

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
