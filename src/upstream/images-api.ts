// The Images API route: POST /v1/images/generations (JSON) and /v1/images/edits (multipart), plain or streamed
// with partial images, always through the official openai SDK.

import type OpenAI from "openai";
import { UpstreamError } from "../errors.js";
import { IMAGE_PLACEHOLDER, readImagesJson, readImagesSse } from "./b64-stream.js";
import type { CallHooks, DeliveredImage, ImageCall, ImageCallResult, Usage } from "./types.js";

interface StreamEvent {
  type: string;
  b64_json?: string;
  partial_image_index?: number;
  usage?: Usage;
  [key: string]: unknown;
}

interface ImagesResponse {
  data?: { b64_json?: string; url?: string; revised_prompt?: string }[];
  usage?: Usage;
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

export async function callImagesApi(client: OpenAI, call: ImageCall, hooks: CallHooks): Promise<ImageCallResult> {
  const stream = call.partialImages > 0;
  const body = await buildBody(call, stream);
  const options = hooks.signal ? { signal: hooks.signal } : {};
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's overloads are keyed on literal stream types we build dynamically.
  const images = client.images as any;
  const promise = call.edit ? images.edit(body, options) : images.generate(body, options);
  if (!stream) {
    // The SDK sends the request and turns error statuses into its typed errors; the body we read ourselves, so a
    // 4K image is decoded from the byte stream once instead of being held three times as text.
    const raw = (await promise.asResponse()) as Response;
    const requestId = raw.headers.get("x-request-id");
    if (!raw.body) throw new UpstreamError("the answer had no body", { retryable: true, requestId });
    const { json, images: decoded } = await readImagesJson(raw.body as unknown as AsyncIterable<Uint8Array>);
    const response = json as ImagesResponse;
    const delivered: DeliveredImage[] = (response.data ?? []).map((d) => {
      const slot = d.b64_json ? IMAGE_PLACEHOLDER.exec(d.b64_json) : null;
      const bytes = slot ? decoded[Number(slot[1])] : undefined;
      return {
        ...(slot ? (bytes ? { bytes } : { error: "its data is not valid base64" }) : {}),
        ...(d.b64_json && !slot ? { b64: d.b64_json } : {}),
        ...(d.url ? { url: d.url } : {}),
        ...(d.revised_prompt ? { revisedPrompt: d.revised_prompt } : {}),
      };
    });
    return {
      images: delivered,
      ...(response.usage ? { usage: response.usage } : {}),
      requestId,
      meta: metaOf(response),
    };
  }

  // Streamed answers are read from the raw body too: every partial and final image is decoded as it arrives.
  const raw = (await promise.asResponse()) as Response;
  const requestId = raw.headers.get("x-request-id");
  if (!raw.body) throw new UpstreamError("the answer had no body", { retryable: true, requestId });
  const delivered: DeliveredImage[] = [];
  let usage: Usage | undefined;
  let meta: Record<string, unknown> = {};
  for await (const sse of readImagesSse(raw.body as unknown as AsyncIterable<Uint8Array>)) {
    const event = sse.json as StreamEvent & { error?: { message?: string } };
    if (sse.event === "error" || event.error) {
      throw new UpstreamError(`the image stream reported an error: ${event.error?.message ?? "unknown"}`, {
        retryable: false,
        requestId,
      });
    }
    const type = String(event.type ?? sse.event ?? "");
    const slot = typeof event.b64_json === "string" ? IMAGE_PLACEHOLDER.exec(event.b64_json) : null;
    const bytes = slot ? (sse.images[Number(slot[1])] ?? null) : undefined;
    if (type.endsWith(".partial_image") && bytes !== undefined) {
      hooks.onPartial?.({ index: event.partial_image_index ?? 0, bytes });
    } else if (type.endsWith(".completed")) {
      delivered.push({
        ...(slot ? (bytes ? { bytes } : { error: "its data is not valid base64" }) : {}),
        ...(typeof event.url === "string" ? { url: event.url } : {}),
      });
      usage = event.usage ?? usage;
      meta = metaOf(event);
    }
  }
  // The SDK does not check that a completed event arrived: a stream that just ends is a truncated answer.
  if (delivered.length === 0) {
    throw new UpstreamError("the image stream ended before a completed image arrived (truncated stream)", {
      retryable: true,
      requestId,
    });
  }
  return { images: delivered, ...(usage ? { usage } : {}), requestId, meta };
}
