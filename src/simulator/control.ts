// The simulator's own endpoints, outside the OpenAI API: steering (/_sim/control), counting (/_sim/stats), and the
// images it hosts for url-only answers (/files/<id>).

import { type Exchange, resetState, type SimState } from "./context.js";
import { type GatewayModes, parseFaults } from "./faults.js";
import { JSON_LIMIT, readBody, sendJson } from "./http.js";

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
  faults?: string;
  latency_ms?: number;
  gateway?: Partial<GatewayModes>;
  reset?: boolean;
}

/** GET /_sim/stats and POST /_sim/control {reset, faults, latency_ms, gateway}. */
export async function handleControl(state: SimState, { req, res, url }: Exchange): Promise<void> {
  if (req.method === "GET" && url.pathname === "/_sim/stats") return sendJson(res, 200, state.stats);
  if (req.method === "POST" && url.pathname === "/_sim/control") {
    const body = JSON.parse((await readBody(req, JSON_LIMIT)).toString("utf8") || "{}") as ControlBody;
    if (body.reset) resetState(state);
    if (body.faults) state.faults.push(...parseFaults(body.faults));
    if (typeof body.latency_ms === "number") state.latencyMs = body.latency_ms;
    if (body.gateway) state.gateway = { ...state.gateway, ...body.gateway };
    const { faults, latencyMs, gateway } = state;
    return sendJson(res, 200, { ok: true, queued_faults: faults, latency_ms: latencyMs, gateway });
  }
  sendJson(res, 404, { error: "unknown control endpoint" });
}
