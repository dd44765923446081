// An OpenAI-compatible image API on 127.0.0.1 that renders real images of exactly the requested size and format.
// It is the embedded default when there is no API key, the target of every test, and it can misbehave on purpose.

import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { outputTokens } from "../contract/cost.js";
import { renderPlaceholder, resizeTo } from "../imaging/render.js";
import { type Fault, type GatewayModes, isFault, NO_GATEWAY_MODES, parseFaults } from "./faults.js";
import { type ApiErrorBody, type SimRequest, validateImageRequest } from "./validate.js";

export interface SimulatorOptions {
  host?: string;
  port?: number;
  /** When set, only this bearer key is accepted; otherwise any non-empty key is. */
  apiKey?: string;
  latencyMs?: number;
  faults?: Fault[];
  gateway?: Partial<GatewayModes>;
  /** Render noisy, realistically large files instead of flat placeholders. */
  realistic?: boolean;
  /** Streamed answers wait this long after each partial image, like a model that is still rendering. */
  partialDelayMs?: number;
}

export interface SimulatedRequest {
  id: string;
  path: string;
  model?: string;
  size?: string;
  n?: number;
  stream: boolean;
  fault?: Fault;
  status: number;
  /** true when the client closed the connection before the answer was complete. */
  aborted: boolean;
  /** Wall time from the request's arrival to the end of the answer: the upstream's share of a call. */
  durationMs: number;
}

export interface SimulatorStats {
  requests: SimulatedRequest[];
  /** Image requests (generations and edits) that reached the simulator, faults included. */
  imageRequests: number;
  inFlight: number;
  maxInFlight: number;
}

export interface Simulator {
  url: string;
  baseURL: string;
  port: number;
  stats: SimulatorStats;
  enqueueFaults(...faults: Fault[]): void;
  setLatency(ms: number): void;
  setGateway(modes: Partial<GatewayModes>): void;
  reset(): void;
  close(): Promise<void>;
}

const JSON_LIMIT = 2 * 1024 * 1024;
const MULTIPART_LIMIT = 256 * 1024 * 1024;
const URL_TTL_MS = 60 * 60 * 1000;

function requestId(): string {
  return `req_${randomBytes(12).toString("hex")}`;
}

class HttpError extends Error {
  constructor(readonly body: ApiErrorBody) {
    super(body.error.message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      throw new HttpError({
        status: 413,
        error: { message: "Request body too large.", type: "invalid_request_error", param: null, code: null },
      });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Multipart bodies are parsed with the platform's own Request.formData(): no parser of our own. */
async function parseMultipart(req: IncomingMessage, raw: Buffer): Promise<Record<string, unknown>> {
  const request = new Request("http://simulator/", {
    method: "POST",
    headers: { "content-type": String(req.headers["content-type"] ?? "") },
    body: raw,
  });
  const form = await request.formData();
  const body: Record<string, unknown> = {};
  const images: File[] = [];
  for (const [key, value] of form.entries()) {
    if (key === "image" || key === "image[]") {
      if (typeof value !== "string") images.push(value);
      continue;
    }
    if (key === "mask") {
      body.mask = value;
      continue;
    }
    body[key] = typeof value === "string" ? coerceField(key, value) : value;
  }
  if (images.length > 0) body.image = images;
  return body;
}

function parseJsonBody(raw: Buffer): Record<string, unknown> {
  try {
    return JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
  } catch {
    throw new HttpError({
      status: 400,
      error: {
        message: "We could not parse the JSON body of your request.",
        type: "invalid_request_error",
        param: null,
        code: null,
      },
    });
  }
}

function coerceField(key: string, value: string): unknown {
  if (key === "n" || key === "output_compression" || key === "partial_images") return Number(value);
  if (key === "stream") return value === "true";
  return value;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/** The famous downscale users report (3840x2160 -> 1672x941), applied proportionally to any size. */
function wrongSize(width: number, height: number): [number, number] {
  const factor = 1672 / 3840;
  return [Math.max(1, Math.round(width * factor)), Math.max(1, Math.round(height * factor))];
}

/** The simulator's knobs from the environment: PIXELWRIGHT_SIM_LATENCY_MS, PIXELWRIGHT_SIM_FAULTS, ... */
export function simulatorOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): SimulatorOptions {
  const latency = Number(env.PIXELWRIGHT_SIM_LATENCY_MS ?? 0);
  if (!Number.isFinite(latency) || latency < 0)
    throw new Error("PIXELWRIGHT_SIM_LATENCY_MS must be a number of milliseconds");
  const downscale = Number(env.PIXELWRIGHT_SIM_DOWNSCALE_ABOVE ?? 0);
  return {
    latencyMs: latency,
    faults: parseFaults(env.PIXELWRIGHT_SIM_FAULTS),
    realistic: env.PIXELWRIGHT_SIM_REALISTIC === "1",
    gateway: {
      urlOnly: env.PIXELWRIGHT_SIM_URL_ONLY === "1",
      downscaleAbove: Number.isFinite(downscale) ? downscale : 0,
      ignoreSizeWith: env.PIXELWRIGHT_SIM_IGNORE_SIZE || null,
      ignoreN: env.PIXELWRIGHT_SIM_IGNORE_N === "1",
    },
    ...(env.PIXELWRIGHT_SIM_KEY ? { apiKey: env.PIXELWRIGHT_SIM_KEY } : {}),
  };
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const faults: Fault[] = [...(options.faults ?? [])];
  let latencyMs = options.latencyMs ?? 0;
  let gateway: GatewayModes = { ...NO_GATEWAY_MODES, ...options.gateway };
  const stats: SimulatorStats = { requests: [], imageRequests: 0, inFlight: 0, maxInFlight: 0 };
  const hosted = new Map<string, { bytes: Buffer; mime: string; expires: number }>();
  let baseUrl = "";

  // Realistic (noisy) renders are slow and deterministic: keep the last few, so benchmarks measure the server.
  const renderCache = new Map<string, Promise<Buffer>>();

  async function renderOne(sim: SimRequest, index: number, blur?: number): Promise<Buffer> {
    if (!options.realistic || blur) return renderFresh(sim, index, blur);
    const key = JSON.stringify([
      sim.prompt,
      sim.width,
      sim.height,
      sim.format,
      sim.transparent,
      sim.compression,
      index,
    ]);
    let cached = renderCache.get(key);
    if (!cached) {
      cached = renderFresh(sim, index);
      renderCache.set(key, cached);
      if (renderCache.size > 8) renderCache.delete(renderCache.keys().next().value as string);
    }
    return cached;
  }

  async function renderFresh(sim: SimRequest, index: number, blur?: number): Promise<Buffer> {
    return renderPlaceholder({
      width: sim.width,
      height: sim.height,
      format: sim.format,
      prompt: sim.prompt,
      caption: `pixelwright offline simulator · ${sim.model.id} · ${sim.quality}${sim.n > 1 ? ` · #${index + 1}` : ""}`,
      transparent: sim.transparent,
      ...(sim.compression !== undefined ? { compression: sim.compression } : {}),
      ...(options.realistic ? { noise: true } : {}),
      ...(blur ? { blur } : {}),
    });
  }

  async function deliverBytes(sim: SimRequest, bytes: Buffer): Promise<Buffer> {
    if (gateway.ignoreSizeWith) {
      const [w, h] = gateway.ignoreSizeWith.split("x").map(Number) as [number, number];
      return resizeTo(bytes, w, h);
    }
    const long = Math.max(sim.width, sim.height);
    if (gateway.downscaleAbove > 0 && long > gateway.downscaleAbove) {
      const scale = gateway.downscaleAbove / long;
      return resizeTo(bytes, Math.round(sim.width * scale), Math.round(sim.height * scale));
    }
    return bytes;
  }

  function usageFor(sim: SimRequest, referenceImages: number) {
    const factor = sim.quality === "low" ? "low" : sim.quality === "medium" ? "medium" : "high";
    const out = outputTokens(sim.width, sim.height, factor) * sim.n;
    const text = Math.ceil(sim.prompt.length / 4);
    // A stand-in figure for reference images: the real count depends on their size and input_fidelity.
    const image = referenceImages * 323;
    return {
      input_tokens: text + image,
      input_tokens_details: { image_tokens: image, text_tokens: text },
      output_tokens: out,
      total_tokens: text + image + out,
    };
  }

  function imageEntry(bytes: Buffer, fault: Fault | undefined, mime: string): Record<string, string> {
    if (fault === "bad_base64") return { b64_json: `${bytes.subarray(0, 32).toString("base64")}%%not*base64%%` };
    if (fault === "not_image") return { b64_json: Buffer.from("<html>this is not an image</html>").toString("base64") };
    if (gateway.urlOnly) {
      const id = randomBytes(8).toString("hex");
      hosted.set(id, { bytes, mime, expires: Date.now() + URL_TTL_MS });
      return { url: `${baseUrl}/files/${id}` };
    }
    return { b64_json: bytes.toString("base64") };
  }

  /** The next fault (a request header wins over the queue), after the configured latency. */
  async function takeFault(
    req: IncomingMessage,
    record: SimulatedRequest,
    signal: AbortSignal,
  ): Promise<Fault | undefined> {
    stats.imageRequests++;
    const headerFault = req.headers["x-sim-fault"];
    const fault = typeof headerFault === "string" && isFault(headerFault) ? headerFault : faults.shift();
    record.fault = fault;
    const headerLatency = Number(req.headers["x-sim-latency-ms"]);
    await sleep(Number.isFinite(headerLatency) && headerLatency >= 0 ? headerLatency : latencyMs, signal);
    return fault;
  }

  /** Faults that replace the answer: throws an API error, or returns true when the connection was dealt with. */
  async function applyFault(
    fault: Fault | undefined,
    req: IncomingMessage,
    res: ServerResponse,
    signal: AbortSignal,
  ): Promise<boolean> {
    switch (fault) {
      case "500":
        throw new HttpError({
          status: 500,
          error: {
            message: "The server had an error while processing your request. Sorry about that!",
            type: "server_error",
            param: null,
            code: null,
          },
        });
      case "503":
        throw new HttpError({
          status: 503,
          error: {
            message: "The engine is currently overloaded, please try again later.",
            type: "server_error",
            param: null,
            code: null,
          },
        });
      case "429":
        res.setHeader("retry-after", "1");
        throw new HttpError({
          status: 429,
          error: {
            message: "Rate limit reached for images per minute. Please try again in 1s.",
            type: "requests",
            param: null,
            code: "rate_limit_exceeded",
          },
        });
      case "moderation":
        throw new HttpError({
          status: 400,
          error: {
            message: "Your request was rejected as a result of our safety system.",
            type: "image_generation_user_error",
            param: null,
            code: "moderation_blocked",
          },
        });
      case "reset":
        req.socket.destroy();
        return true;
      case "hang":
        await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
        return true;
      default:
        return signal.aborted;
    }
  }

  async function handleImages(
    req: IncomingMessage,
    res: ServerResponse,
    kind: "generation" | "edit",
    record: SimulatedRequest,
    signal: AbortSignal,
  ): Promise<void> {
    const raw = await readBody(req, kind === "edit" ? MULTIPART_LIMIT : JSON_LIMIT);
    const body =
      kind === "edit"
        ? await parseMultipart(req, raw).catch(() => {
            throw new HttpError({
              status: 400,
              error: {
                message: "We could not parse the multipart body of your request.",
                type: "invalid_request_error",
                param: null,
                code: null,
              },
            });
          })
        : parseJsonBody(raw);
    const references = Array.isArray(body.image) ? body.image.length : 0;
    const forValidation = { ...body };
    if (kind === "edit") {
      if (references === 0) {
        throw new HttpError({
          status: 400,
          error: {
            message: "Missing required parameter: 'image'.",
            type: "invalid_request_error",
            param: "image",
            code: null,
          },
        });
      }
      delete forValidation.image;
      delete forValidation.mask;
    }
    record.model = typeof body.model === "string" ? body.model : undefined;
    record.size = typeof body.size === "string" ? body.size : undefined;
    record.n = typeof body.n === "number" ? body.n : 1;

    const fault = await takeFault(req, record, signal);
    if (signal.aborted || (await applyFault(fault, req, res, signal))) return;
    const sim = validateImageRequest(forValidation, kind);
    if ("error" in sim) throw new HttpError(sim);
    if (gateway.ignoreN) sim.n = 1;
    const mime = `image/${sim.format}`;
    const eventPrefix = kind === "edit" ? "image_edit" : "image_generation";
    const meta = {
      size: sim.auto ? "auto" : `${sim.width}x${sim.height}`,
      quality: sim.quality === "auto" ? "high" : sim.quality,
      background: sim.transparent ? "transparent" : "opaque",
      output_format: sim.format,
    };
    const usage = usageFor(sim, references);
    const produce = async (index: number): Promise<Buffer> => {
      const bytes = await renderOne(sim, index);
      if (fault === "wrong_size") {
        const [w, h] = wrongSize(sim.width, sim.height);
        return resizeTo(bytes, w, h);
      }
      return deliverBytes(sim, bytes);
    };

    if (sim.stream) {
      res.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        connection: "keep-alive",
      });
      const send = (event: string, data: object) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      const created = Math.floor(Date.now() / 1000);
      for (let i = 0; i < sim.partialImages; i++) {
        if (signal.aborted) return;
        const partial = await renderOne(sim, 0, 40 - i * 12);
        send(`${eventPrefix}.partial_image`, {
          type: `${eventPrefix}.partial_image`,
          b64_json: partial.toString("base64"),
          partial_image_index: i,
          created_at: created,
          ...meta,
        });
        await sleep(options.partialDelayMs ?? 0, signal);
      }
      if (fault === "truncate") {
        res.end();
        return;
      }
      for (let i = 0; i < sim.n; i++) {
        const bytes = await produce(i);
        if (signal.aborted) return;
        send(`${eventPrefix}.completed`, {
          type: `${eventPrefix}.completed`,
          ...imageEntry(bytes, fault, mime),
          created_at: created,
          ...meta,
          usage,
        });
      }
      res.end();
      return;
    }

    const data: Record<string, string>[] = [];
    for (let i = 0; i < (fault === "no_image" ? 0 : sim.n); i++) data.push(imageEntry(await produce(i), fault, mime));
    if (signal.aborted) return;
    const text = JSON.stringify({ created: Math.floor(Date.now() / 1000), data, ...meta, usage });
    if (fault === "truncate") {
      // Promise a full body, send half of it, and hang up.
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      res.write(text.slice(0, Math.floor(text.length / 2)));
      req.socket.destroy();
      return;
    }
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  }

  const RESPONSES_PARAMS = new Set([
    "model",
    "input",
    "instructions",
    "tools",
    "tool_choice",
    "stream",
    "store",
    "user",
    "metadata",
    "previous_response_id",
    "parallel_tool_calls",
    "temperature",
    "top_p",
  ]);

  /** POST /v1/responses with the image_generation tool: JSON, or SSE with the real event names. */
  async function handleResponses(
    req: IncomingMessage,
    res: ServerResponse,
    record: SimulatedRequest,
    signal: AbortSignal,
  ): Promise<void> {
    const raw = await readBody(req, MULTIPART_LIMIT);
    const body = parseJsonBody(raw);
    for (const key of Object.keys(body)) {
      if (!RESPONSES_PARAMS.has(key)) {
        throw new HttpError({
          status: 400,
          error: {
            message: `Unknown parameter: '${key}'.`,
            type: "invalid_request_error",
            param: key,
            code: "unknown_parameter",
          },
        });
      }
    }
    const tools = Array.isArray(body.tools) ? (body.tools as Record<string, unknown>[]) : [];
    const tool = tools.find((t) => t.type === "image_generation");
    if (!tool) {
      throw new HttpError({
        status: 400,
        error: {
          message: "This request needs the image_generation tool.",
          type: "invalid_request_error",
          param: "tools",
          code: null,
        },
      });
    }
    const texts: string[] = [];
    let inputImages = 0;
    if (typeof body.input === "string") texts.push(body.input);
    for (const message of Array.isArray(body.input) ? (body.input as { content?: unknown }[]) : []) {
      if (typeof message.content === "string") texts.push(message.content);
      for (const part of Array.isArray(message.content) ? (message.content as Record<string, unknown>[]) : []) {
        if (part.type === "input_text" && typeof part.text === "string") texts.push(part.text);
        if (part.type === "input_image") inputImages++;
      }
    }
    const prompt = texts.join("\n");
    const { type: _type, partial_images: partials, ...toolConfig } = tool;
    record.model = typeof tool.model === "string" ? tool.model : "gpt-image-2";
    record.size = typeof tool.size === "string" ? tool.size : undefined;
    record.n = 1;
    record.stream = body.stream === true;
    const fault = await takeFault(req, record, signal);
    if (signal.aborted || (await applyFault(fault, req, res, signal))) return;
    const sim = validateImageRequest(
      { ...toolConfig, prompt, ...(partials !== undefined ? { partial_images: partials } : {}) },
      inputImages > 0 ? "edit" : "generation",
    );
    if ("error" in sim) throw new HttpError(sim);

    const responseId = `resp_${randomBytes(12).toString("hex")}`;
    const callId = `ig_${randomBytes(12).toString("hex")}`;
    const revised = `A detailed, high-resolution rendering of: ${prompt.slice(0, 200)}`;
    const assistantText =
      fault === "no_image"
        ? "I can't create that image, but here is a description instead."
        : `Here is your ${sim.width}x${sim.height} image.`;
    const usage = usageFor(sim, inputImages);
    let bytes: Buffer | null = null;
    if (fault !== "no_image") {
      bytes = await deliverBytes(sim, await renderOne(sim, 0));
      if (fault === "wrong_size") {
        const [w, h] = wrongSize(sim.width, sim.height);
        bytes = await resizeTo(bytes, w, h);
      }
    }
    const result = bytes ? (imageEntry(bytes, fault, `image/${sim.format}`).b64_json ?? null) : null;
    const imageItem = {
      type: "image_generation_call",
      id: callId,
      status: "completed",
      result,
      revised_prompt: revised,
      size: `${sim.width}x${sim.height}`,
      quality: sim.quality === "auto" ? "high" : sim.quality,
      output_format: sim.format,
      background: sim.transparent ? "transparent" : "opaque",
    };
    const messageItem = {
      type: "message",
      id: `msg_${randomBytes(12).toString("hex")}`,
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: assistantText, annotations: [] }],
    };
    const output = fault === "no_image" ? [messageItem] : [imageItem, messageItem];
    const response = {
      id: responseId,
      object: "response",
      created_at: Math.floor(Date.now() / 1000),
      status: "completed",
      model: typeof body.model === "string" ? body.model : "gpt-5",
      output,
      tools: [tool],
      usage: {
        input_tokens: usage.input_tokens,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: usage.output_tokens,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: usage.total_tokens,
      },
    };

    if (!record.stream) return sendJson(res, 200, response);

    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    let sequence = 0;
    const send = (data: Record<string, unknown>) =>
      res.write(`event: ${data.type}\ndata: ${JSON.stringify({ ...data, sequence_number: sequence++ })}\n\n`);
    const pending = { ...response, status: "in_progress", output: [] };
    send({ type: "response.created", response: pending });
    send({ type: "response.in_progress", response: pending });
    if (fault !== "no_image") {
      send({
        type: "response.output_item.added",
        output_index: 0,
        item: { ...imageItem, status: "in_progress", result: null },
      });
      send({ type: "response.image_generation_call.in_progress", output_index: 0, item_id: callId });
      send({ type: "response.image_generation_call.generating", output_index: 0, item_id: callId });
      for (let i = 0; i < sim.partialImages; i++) {
        if (signal.aborted) return;
        const partial = await renderOne(sim, 0, 40 - i * 12);
        send({
          type: "response.image_generation_call.partial_image",
          output_index: 0,
          item_id: callId,
          partial_image_index: i,
          partial_image_b64: partial.toString("base64"),
        });
        await sleep(options.partialDelayMs ?? 0, signal);
      }
      if (fault === "truncate") return void res.end();
      send({ type: "response.image_generation_call.completed", output_index: 0, item_id: callId });
      send({ type: "response.output_item.done", output_index: 0, item: imageItem });
    }
    const index = output.length - 1;
    send({
      type: "response.output_item.added",
      output_index: index,
      item: { ...messageItem, status: "in_progress", content: [] },
    });
    send({
      type: "response.output_text.delta",
      output_index: index,
      item_id: messageItem.id,
      content_index: 0,
      delta: assistantText,
    });
    send({
      type: "response.output_text.done",
      output_index: index,
      item_id: messageItem.id,
      content_index: 0,
      text: assistantText,
    });
    send({ type: "response.output_item.done", output_index: index, item: messageItem });
    send({ type: "response.completed", response });
    res.end();
  }

  const server: Server = createServer((req, res) => {
    const id = requestId();
    res.setHeader("x-request-id", id);
    const url = new URL(req.url ?? "/", "http://simulator");
    const arrived = performance.now();
    const record: SimulatedRequest = {
      id,
      path: url.pathname,
      stream: false,
      status: 0,
      aborted: false,
      durationMs: 0,
    };
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

    const handle = async () => {
      if (req.method === "GET" && url.pathname === "/healthz") return sendJson(res, 200, { ok: true });
      if (req.method === "GET" && url.pathname.startsWith("/files/")) {
        const file = hosted.get(url.pathname.slice("/files/".length));
        if (!file || file.expires < Date.now()) return sendJson(res, 404, { error: "expired or unknown file" });
        res.writeHead(200, { "content-type": file.mime, "content-length": file.bytes.length });
        return void res.end(file.bytes);
      }
      if (url.pathname.startsWith("/_sim/")) return handleControl(req, res, url);
      const auth = String(req.headers.authorization ?? "");
      const key = auth.startsWith("Bearer ") ? auth.slice(7).trim() : "";
      if (!key) {
        throw new HttpError({
          status: 401,
          error: {
            message:
              "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth.",
            type: "invalid_request_error",
            param: null,
            code: null,
          },
        });
      }
      if (options.apiKey && key !== options.apiKey) {
        throw new HttpError({
          status: 401,
          error: {
            message: "Incorrect API key provided.",
            type: "invalid_request_error",
            param: null,
            code: "invalid_api_key",
          },
        });
      }
      if (req.method === "POST" && url.pathname === "/v1/images/generations") {
        stats.requests.push(record);
        return handleImages(req, res, "generation", record, controller.signal);
      }
      if (req.method === "POST" && url.pathname === "/v1/images/edits") {
        stats.requests.push(record);
        return handleImages(req, res, "edit", record, controller.signal);
      }
      if (req.method === "POST" && url.pathname === "/v1/responses") {
        stats.requests.push(record);
        return handleResponses(req, res, record, controller.signal);
      }
      throw new HttpError({
        status: 404,
        error: {
          message: `Invalid URL (${req.method} ${url.pathname})`,
          type: "invalid_request_error",
          param: null,
          code: null,
        },
      });
    };

    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    handle()
      .catch((err: unknown) => {
        if (res.headersSent || res.destroyed) return;
        if (err instanceof HttpError) return sendJson(res, err.body.status, { error: err.body.error });
        sendJson(res, 500, {
          error: {
            message: `simulator failure: ${(err as Error).message}`,
            type: "server_error",
            param: null,
            code: null,
          },
        });
      })
      .finally(() => {
        stats.inFlight--;
        record.status = res.statusCode;
      });
  });

  async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method === "GET" && url.pathname === "/_sim/stats") return sendJson(res, 200, stats);
    if (req.method === "POST" && url.pathname === "/_sim/control") {
      const body = JSON.parse((await readBody(req, JSON_LIMIT)).toString("utf8") || "{}") as {
        faults?: string;
        latency_ms?: number;
        gateway?: Partial<GatewayModes>;
        reset?: boolean;
      };
      if (body.reset) api.reset();
      if (body.faults) faults.push(...parseFaults(body.faults));
      if (typeof body.latency_ms === "number") latencyMs = body.latency_ms;
      if (body.gateway) gateway = { ...gateway, ...body.gateway };
      return sendJson(res, 200, { ok: true, queued_faults: faults, latency_ms: latencyMs, gateway });
    }
    sendJson(res, 404, { error: "unknown control endpoint" });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  baseUrl = `http://${host}:${address.port}`;

  const api: Simulator = {
    url: baseUrl,
    baseURL: `${baseUrl}/v1`,
    port: address.port,
    stats,
    enqueueFaults: (...more) => faults.push(...more),
    setLatency: (ms) => {
      latencyMs = ms;
    },
    setGateway: (modes) => {
      gateway = { ...gateway, ...modes };
    },
    reset() {
      faults.length = 0;
      stats.requests.length = 0;
      stats.imageRequests = 0;
      stats.maxInFlight = stats.inFlight;
      gateway = { ...NO_GATEWAY_MODES, ...options.gateway };
      hosted.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return api;
}
