// The simulator's own endpoints, outside the OpenAI API: steering (/_sim/control: faults, batch faults, latency,
// gateway modes, releasing held batches), counting (/_sim/stats), and the images it hosts for url-only answers
// (/files/<id>).

import { type Exchange, resetState, type SimState } from "./context.js";
import { JSON_LIMIT, readBody, sendJson } from "./http.js";
import { type GatewayModes, parseBatchFaults, parseFaults, parseVariants } from "./knobs.js";

/** GET /files/<id>: an image handed out by url, until it expires. */
export function serveHosted(state: SimState, { res, url }: Exchange): void {
  const file = state.hosted.get(url.pathname.slice("/files/".length));
  if (!file || file.expires < Date.now()) {
    sendJson(res, 404, { error: "expired or unknown file" });
    return;
  }
  res.writeHead(200, { "content-type": file.mime, "content-length": file.bytes.length });
  res.end(file.bytes);
}

interface ControlBody {
  /** Queued one per request: "500,sse_done" or ["500", "sse_done"]. */
  faults?: string | string[];
  latency_ms?: number;
  /** How the next batches end, one per batch created: "batch_partial,batch_expired" or a list. */
  batch_faults?: string | string[];
  /** Batches held in progress (batch_running) go on to complete. */
  release_batches?: boolean;
  /** Gateway modes to change; `variants` ("gzip,sse_crlf" or a list) replaces the standing variants. */
  gateway?: Partial<Omit<GatewayModes, "variants">> & { variants?: string | string[] };
  reset?: boolean;
}

function changeGateway(state: SimState, change: NonNullable<ControlBody["gateway"]>): void {
  const { variants, ...modes } = change;
  state.gateway = {
    ...state.gateway,
    ...modes,
    ...(variants !== undefined ? { variants: parseVariants(variants) } : {}),
  };
}

/** GET /_sim/stats and POST /_sim/control {reset, faults, latency_ms, gateway: {..., variants}}. */
export async function handleControl(state: SimState, { req, res, url }: Exchange): Promise<void> {
  if (req.method === "GET" && url.pathname === "/_sim/stats") return sendJson(res, 200, state.stats);
  if (req.method === "POST" && url.pathname === "/_sim/control") {
    const body = JSON.parse((await readBody(req, JSON_LIMIT)).toString("utf8") || "{}") as ControlBody;
    if (body.reset) resetState(state);
    if (body.faults) state.faults.push(...parseFaults(body.faults));
    if (body.batch_faults) state.batchFaults.push(...parseBatchFaults(body.batch_faults));
    if (body.release_batches) for (const batch of state.batches.values()) batch.held = false;
    if (typeof body.latency_ms === "number") state.latencyMs = body.latency_ms;
    if (body.gateway) changeGateway(state, body.gateway);
    const { faults, batchFaults, latencyMs, gateway } = state;
    const queued = { queued_faults: faults, queued_batch_faults: batchFaults };
    return sendJson(res, 200, { ok: true, ...queued, latency_ms: latencyMs, gateway });
  }
  sendJson(res, 404, { error: "unknown control endpoint" });
}
