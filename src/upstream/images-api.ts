// The Images API route: POST /v1/images/generations (JSON) and /v1/images/edits (multipart), plain or streamed
// with partial images, always through the official openai SDK. The body is read by our own readers (b64-stream.ts,
// sse.ts) under the attempt's deadlines (deadline.ts).

import type OpenAI from "openai";
import { UpstreamError } from "../errors.js";
import { answerLength, IMAGE_PLACEHOLDER, readImagesJson } from "./b64-stream.js";
import type { AttemptDeadline } from "./deadline.js";
import { errorInAnswer } from "./errors.js";
import { readImagesSse, type SseEvent } from "./sse.js";
import {
  type CallHooks,
  type DeliveredImage,
  type ImageCall,
  type ImageCallResult,
  type Usage,
  usageOf,
} from "./types.js";

interface ImagesResponse {
  data?: { b64_json?: string; url?: string; revised_prompt?: string }[];
  usage?: Usage;
  error?: unknown;
  [key: string]: unknown;
}

async function buildBody(call: ImageCall, stream: boolean): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = { ...call.body };
  if (stream) {
    body.stream = true;
    body.partial_images = call.partialImages;
  }
  if (call.edit) {
    const { toFile } = await import("openai");
    body.image = await Promise.all(
      call.edit.images.map((file) => toFile(file.bytes, file.name, { type: file.mimeType })),
    );
    if (call.edit.mask) body.mask = await toFile(call.edit.mask.bytes, call.edit.mask.name, { type: "image/png" });
    if (call.edit.markup) {
      body.markup = await toFile(call.edit.markup.bytes, call.edit.markup.name, { type: "image/png" });
    }
  }
  return body;
}

function metaOf(source: Record<string, unknown>): Record<string, unknown> {
  const meta: Record<string, unknown> = {};
  for (const key of ["size", "quality", "output_format", "background"]) {
    if (source[key] !== undefined) meta[key] = source[key];
  }
  return meta;
}

/** One image entry: the decoded bytes its placeholder names, a url, or why there is nothing. */
function delivered(entry: Record<string, unknown>, decoded: (Buffer | null)[]): DeliveredImage {
  const b64 = typeof entry.b64_json === "string" ? entry.b64_json : undefined;
  const slot = b64 ? IMAGE_PLACEHOLDER.exec(b64) : null;
  const bytes = slot ? decoded[Number(slot[1])] : undefined;
  return {
    ...(slot ? (bytes ? { bytes } : { error: "its data is not valid base64" }) : {}),
    ...(b64 && !slot ? { b64 } : {}),
    ...(typeof entry.url === "string" ? { url: entry.url } : {}),
    ...(typeof entry.revised_prompt === "string" ? { revisedPrompt: entry.revised_prompt } : {}),
  };
}

interface Sent {
  body: AsyncIterable<Uint8Array>;
  requestId: string | null;
  /** The body's length when known: each image is decoded into one buffer of its size. */
  length: number;
}

/** Sends the request through the SDK (which turns error statuses into its typed errors) and hands back the body. */
async function send(client: OpenAI, call: ImageCall, stream: boolean, deadline: AttemptDeadline): Promise<Sent> {
  const body = await buildBody(call, stream);
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's overloads are keyed on literal stream types we build dynamically.
  const images = client.images as any;
  const options = { signal: deadline.signal };
  const promise = call.edit ? images.edit(body, options) : images.generate(body, options);
  const raw = (await deadline.race(promise.asResponse())) as Response;
  const requestId = raw.headers.get("x-request-id");
  if (!raw.body) throw new UpstreamError("the answer had no body", { retryable: true, requestId });
  const answer = deadline.watch(raw.body as unknown as AsyncIterable<Uint8Array>);
  return { body: answer, requestId, length: answerLength(raw.headers) };
}

export async function callImagesApi(
  client: OpenAI,
  call: ImageCall,
  hooks: CallHooks,
  deadline: AttemptDeadline,
  onRequestId: (id: string | null) => void,
): Promise<ImageCallResult> {
  const stream = call.partialImages > 0;
  const sent = await send(client, call, stream, deadline);
  onRequestId(sent.requestId);
  if (stream) return readStream(sent, hooks);
  // The body is read from the byte stream, so a 4K image is decoded once instead of being held three times as text.
  const { json, images: decoded, problem } = await readImagesJson(sent.body, undefined, sent.length);
  const response = json as ImagesResponse;
  const entries = Array.isArray(response.data) ? response.data : [];
  if (response.error && entries.length === 0) throw errorInAnswer(response.error, sent.requestId);
  return {
    images: entries.map((d) => delivered(d, decoded)),
    ...(response.usage ? { usage: usageOf(response.usage) } : {}),
    requestId: sent.requestId,
    meta: metaOf(response),
    ...(problem ? { notes: [problem] } : {}),
  };
}

/** One SSE event of an image stream, as what it means for the call. */
function readEvent(
  sse: SseEvent,
  requestId: string | null,
): { partial?: Record<string, unknown>; done?: DeliveredImage[] } {
  const event = sse.json;
  if (!event) return {};
  if (sse.event === "error" || event.error || event.type === "error") {
    throw errorInAnswer(event.error ?? event, requestId);
  }
  const type = String(event.type ?? sse.event ?? "");
  if (type.endsWith(".partial_image")) return { partial: event };
  if (type.endsWith(".completed")) return { done: [delivered(event, sse.images)] };
  // Some servers stream a whole Images answer as one event.
  if (Array.isArray(event.data))
    return { done: (event.data as Record<string, unknown>[]).map((d) => delivered(d, sse.images)) };
  return {};
}

/** Streamed answers: every partial and final image is decoded as it arrives. */
async function readStream(sent: Sent, hooks: CallHooks): Promise<ImageCallResult> {
  const images: DeliveredImage[] = [];
  let usage: Usage | undefined;
  let meta: Record<string, unknown> = {};
  for await (const sse of readImagesSse(sent.body)) {
    const { partial, done } = readEvent(sse, sent.requestId);
    if (partial) {
      const slot = typeof partial.b64_json === "string" ? IMAGE_PLACEHOLDER.exec(partial.b64_json) : null;
      const index = Number(partial.partial_image_index ?? 0);
      if (slot) hooks.onPartial?.({ index, bytes: sse.images[Number(slot[1])] ?? null });
    }
    if (done && sse.json) {
      images.push(...done);
      usage = usageOf(sse.json.usage) ?? usage;
      meta = metaOf(sse.json);
    }
  }
  // The SDK does not check that a completed event arrived: a stream that just ends is a truncated answer.
  if (images.length === 0) {
    throw new UpstreamError("the image stream ended before a completed image arrived (truncated stream)", {
      retryable: true,
      requestId: sent.requestId,
      mayHaveBeenBilled: true,
    });
  }
  return { images, ...(usage ? { usage } : {}), requestId: sent.requestId, meta };
}
