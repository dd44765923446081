// An OpenAI-compatible image API on 127.0.0.1 that renders real images of exactly the requested size and format.
// It is the embedded default when there is no API key, the target of every test, and it can misbehave on purpose.
// This file is the router: the HTTP server, auth, request records and stats; each surface has its own file.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ConfigError } from "../errors.js";
import { listenOn } from "../listen.js";
import { handleBatches } from "./batches.js";
import {
  createState,
  type Exchange,
  resetState,
  type SimState,
  type SimulatedRequest,
  type Simulator,
  type SimulatorOptions,
} from "./context.js";
import { handleControl, serveHosted } from "./control.js";
import { handleFiles } from "./files.js";
import { apiError, isRejection, reject, requestId, sendJson } from "./http.js";
import { handleImages } from "./images.js";
import { parseBatchFaults, parseFaults, parseVariants } from "./knobs.js";
import { handleModels } from "./models.js";
import { handleResponses } from "./responses.js";

export type { SimulatedRequest, Simulator, SimulatorOptions, SimulatorStats } from "./context.js";

/** The simulator's knobs from the environment: PIXELWRIGHT_SIM_LATENCY_MS, _FAULTS, _VARIANTS, ... */
export function simulatorOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): SimulatorOptions {
  const latency = Number(env.PIXELWRIGHT_SIM_LATENCY_MS ?? 0);
  if (!Number.isFinite(latency) || latency < 0)
    throw new ConfigError("PIXELWRIGHT_SIM_LATENCY_MS must be a number of milliseconds");
  const downscale = Number(env.PIXELWRIGHT_SIM_DOWNSCALE_ABOVE ?? 0);
  return {
    latencyMs: latency,
    faults: parseFaults(env.PIXELWRIGHT_SIM_FAULTS),
    batchFaults: parseBatchFaults(env.PIXELWRIGHT_SIM_BATCH_FAULTS),
    realistic: env.PIXELWRIGHT_SIM_REALISTIC === "1",
    gateway: {
      urlOnly: env.PIXELWRIGHT_SIM_URL_ONLY === "1",
      downscaleAbove: Number.isFinite(downscale) ? downscale : 0,
      ignoreSizeWith: env.PIXELWRIGHT_SIM_IGNORE_SIZE || null,
      ignoreN: env.PIXELWRIGHT_SIM_IGNORE_N === "1",
      variants: parseVariants(env.PIXELWRIGHT_SIM_VARIANTS),
    },
    ...(env.PIXELWRIGHT_SIM_KEY ? { apiKey: env.PIXELWRIGHT_SIM_KEY } : {}),
  };
}

/** The bearer key must be there, and be the configured one when there is one. */
function checkAuth(state: SimState, req: IncomingMessage): void {
  const auth = String(req.headers.authorization ?? "");
  const key = auth.startsWith("Bearer ") ? auth.slice(7).trim() : "";
  if (!key) {
    throw reject(
      401,
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth.",
    );
  }
  if (state.options.apiKey && key !== state.options.apiKey) {
    throw reject(401, "Incorrect API key provided.", { code: "invalid_api_key" });
  }
}

/** The routes: health, hosted files and control without a key; the OpenAI API surfaces with one. */
async function route(state: SimState, ex: Exchange): Promise<void> {
  const { req, res, url } = ex;
  if (req.method === "GET" && url.pathname === "/healthz") return sendJson(res, 200, { ok: true });
  if (req.method === "GET" && url.pathname.startsWith("/files/")) return serveHosted(state, ex);
  if (url.pathname.startsWith("/_sim/")) return handleControl(state, ex);
  checkAuth(state, req);
  if (req.method === "GET" && url.pathname === "/v1/models") return handleModels(ex);
  // The Batch API's surfaces: every request is recorded, so a test can tell that nothing was sent.
  const batchApi = /^\/v1\/(files|batches)(\/|$)/.exec(url.pathname)?.[1];
  if (batchApi) {
    state.stats.requests.push(ex.record);
    return batchApi === "files" ? handleFiles(state, ex) : handleBatches(state, ex);
  }
  if (req.method === "POST") {
    const surface =
      url.pathname === "/v1/images/generations"
        ? () => handleImages(state, ex, "generation")
        : url.pathname === "/v1/images/edits"
          ? () => handleImages(state, ex, "edit")
          : url.pathname === "/v1/responses"
            ? () => handleResponses(state, ex)
            : null;
    if (surface) {
      state.stats.requests.push(ex.record);
      return surface();
    }
  }
  throw reject(404, `Invalid URL (${req.method} ${url.pathname})`);
}

/** An answer that failed: the API error it threw, or a 500 naming what broke. */
function sendFailure(res: ServerResponse, err: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const failure = isRejection(err)
    ? err.rejected
    : apiError(500, `simulator failure: ${(err as Error).message}`, { type: "server_error" });
  sendJson(res, failure.status, { error: failure.error });
}

/** One request: its record (timed, marked aborted when the client leaves), counted while in flight. */
function answer(state: SimState, req: IncomingMessage, res: ServerResponse): void {
  const id = requestId();
  res.setHeader("x-request-id", id);
  const url = new URL(req.url ?? "/", "http://simulator");
  const arrived = performance.now();
  const record: SimulatedRequest = { id, path: url.pathname, stream: false, status: 0, aborted: false, durationMs: 0 };
  res.on("finish", () => {
    record.durationMs = performance.now() - arrived;
  });
  const controller = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) {
      record.aborted = true;
      controller.abort();
    }
  });
  const { stats } = state;
  stats.inFlight++;
  stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
  route(state, { req, res, url, record, signal: controller.signal })
    .catch((err: unknown) => sendFailure(res, err))
    .finally(() => {
      stats.inFlight--;
      record.status = res.statusCode;
    });
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const state = createState(options);
  const server: Server = createServer((req, res) => answer(state, req, res));
  await listenOn(server, options.port ?? 0, options.host ?? "127.0.0.1");
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  state.baseUrl = `http://${host}:${address.port}`;
  return {
    url: state.baseUrl,
    baseURL: `${state.baseUrl}/v1`,
    port: address.port,
    stats: state.stats,
    enqueueFaults: (...more) => state.faults.push(...more),
    enqueueBatchFaults: (...more) => state.batchFaults.push(...more),
    releaseBatches: () => {
      for (const batch of state.batches.values()) batch.held = false;
    },
    setLatency: (ms) => {
      state.latencyMs = ms;
    },
    setGateway: (modes) => {
      state.gateway = { ...state.gateway, ...modes };
    },
    reset: () => resetState(state),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
