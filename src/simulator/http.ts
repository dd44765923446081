// The simulator's HTTP plumbing: API error answers as plain thrown values, JSON answers, bounded bodies.

import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ApiErrorBody } from "./validate.js";

export const JSON_LIMIT = 2 * 1024 * 1024;
export const MULTIPART_LIMIT = 256 * 1024 * 1024;

/** An API error answer, thrown as a plain value (not an Error): the router sends it as the OpenAI error shape. */
export interface Rejection {
  readonly rejected: ApiErrorBody;
}

export function isRejection(value: unknown): value is Rejection {
  return typeof value === "object" && value !== null && "rejected" in value;
}

/** The OpenAI error body: `{error: {message, type, param, code}}` with its HTTP status. */
export function apiError(
  status: number,
  message: string,
  details: { type?: string; param?: string | null; code?: string | null } = {},
): ApiErrorBody {
  const { type = "invalid_request_error", param = null, code = null } = details;
  return { status, error: { message, type, param, code } };
}

/** A thrown answer: `throw reject(400, "...")` or `throw reject(body)` for a body validate.ts built. */
export function reject(
  status: number | ApiErrorBody,
  message = "",
  details?: Parameters<typeof apiError>[2],
): Rejection {
  return { rejected: typeof status === "number" ? apiError(status, message, details) : status };
}

export function requestId(): string {
  return `req_${randomBytes(12).toString("hex")}`;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw reject(413, "Request body too large.");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function parseJsonBody(raw: Buffer): Record<string, unknown> {
  try {
    return JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
  } catch {
    throw reject(400, "We could not parse the JSON body of your request.");
  }
}

function coerceField(key: string, value: string): unknown {
  if (key === "n" || key === "output_compression" || key === "partial_images") return Number(value);
  if (key === "stream") return value === "true";
  return value;
}

/** Multipart bodies are parsed with the platform's own Request.formData(): no parser of our own. */
export async function parseMultipart(req: IncomingMessage, raw: Buffer): Promise<Record<string, unknown>> {
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

/** Resolves after ms, or at once when the client goes away. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
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

/** Resolves when the client goes away (a hang, a stall). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
