// The Responses route: a text model with the image_generation tool forced by tool_choice, for images that are one
// step of a larger assistant flow. Same validated arguments, same SDK, same guarantees as the Images route. The SDK
// sends the request (and turns error statuses into its typed errors); the body is read as the Images route reads its
// own: from the byte stream, each image (`result`) and partial image (`partial_image_b64`) decoded as it arrives, so
// a 4K image is held once, as bytes, never as text.

import type OpenAI from "openai";
import { UpstreamError } from "../errors.js";
import { asText } from "../secrets.js";
import { answerLength, IMAGE_PLACEHOLDER, RESPONSES_API_KEYS, readImagesJson } from "./b64-stream.js";
import type { AttemptDeadline } from "./deadline.js";
import { errorInAnswer } from "./errors.js";
import { readImagesSse } from "./sse.js";
import {
  type CallHooks,
  type DeliveredImage,
  type ImageCall,
  type ImageCallResult,
  type Usage,
  usageOf,
} from "./types.js";

const TOOL_FIELDS = [
  "model",
  "size",
  "quality",
  "output_format",
  "output_compression",
  "background",
  "moderation",
  "input_fidelity",
  "complexity",
  "frame_count",
  "frame_duration_ms",
] as const;

interface OutputItem {
  type: string;
  id?: string;
  status?: string;
  result?: string | null;
  revised_prompt?: string;
  content?: { type: string; text?: string }[];
}

interface ResponseObject {
  id?: string;
  output?: OutputItem[];
  usage?: Usage;
  error?: { message?: string } | null;
}

/** A Responses answer that is an error object, not a response (a 200 from some gateways). */
function failedAnswer(data: unknown): unknown {
  const object = (data ?? {}) as { error?: unknown; output?: unknown; object?: unknown };
  return object.error && !Array.isArray(object.output) ? object.error : null;
}

export function responsesBody(call: ImageCall, textModel: string, stream: boolean): Record<string, unknown> {
  const tool: Record<string, unknown> = { type: "image_generation" };
  for (const field of TOOL_FIELDS) if (call.body[field] !== undefined) tool[field] = call.body[field];
  if (stream) tool.partial_images = call.partialImages;
  const content: Record<string, unknown>[] = [{ type: "input_text", text: String(call.body.prompt ?? "") }];
  for (const image of call.edit?.images ?? []) {
    content.push({ type: "input_image", image_url: `data:${image.mimeType};base64,${image.bytes.toString("base64")}` });
  }
  return {
    model: textModel,
    // A follow-up turn: the earlier answer (and the image it made) is the context the new prompt edits.
    ...(call.followUp ? { previous_response_id: call.followUp.previousResponseId } : {}),
    input: [{ role: "user", content }],
    tools: [tool],
    tool_choice: { type: "image_generation" },
    ...(stream ? { stream: true } : {}),
  };
}

/** An image value as read: the decoded bytes its placeholder names, base64 text, or why there is nothing. */
function imageOf(value: string, decoded: (Buffer | null)[]): DeliveredImage {
  const slot = IMAGE_PLACEHOLDER.exec(value);
  if (!slot) return { b64: value };
  const bytes = decoded[Number(slot[1])];
  return bytes ? { bytes } : { error: "its data is not valid base64" };
}

function extract(response: ResponseObject, requestId: string | null, decoded: (Buffer | null)[]): ImageCallResult {
  const images: DeliveredImage[] = [];
  const callIds: string[] = [];
  const texts: string[] = [];
  for (const item of response.output ?? []) {
    if (item.type === "image_generation_call") {
      if (item.id) callIds.push(item.id);
      if (typeof item.result === "string" && item.result) {
        images.push({
          ...imageOf(item.result, decoded),
          ...(item.revised_prompt ? { revisedPrompt: asText(item.revised_prompt) } : {}),
        });
      }
    } else if (item.type === "message" && Array.isArray(item.content)) {
      for (const part of item.content) if (part?.type === "output_text" && part.text) texts.push(asText(part.text));
    }
  }
  const assistantText = texts.join("\n").trim() || null;
  if (images.length === 0) {
    // An answer without image data is a failure, never a success, whatever the assistant says.
    const said = assistantText ? ` The assistant said: "${assistantText.slice(0, 300)}"` : "";
    throw new UpstreamError(`the Responses answer ${response.id ?? ""} held no image data.${said}`, {
      retryable: false,
      requestId,
    });
  }
  return {
    images,
    ...(response.usage ? { usage: usageOf(response.usage) } : {}),
    requestId,
    meta: {},
    responseId: response.id ?? null,
    assistantText,
    callIds,
  };
}

/** A body whose JSON around the images did not parse: the decoded images are kept (they were paid for). */
function keptFromBroken(json: Record<string, unknown>): ResponseObject {
  const data = Array.isArray(json.data) ? (json.data as { b64_json?: string }[]) : [];
  return { output: data.map((d) => ({ type: "image_generation_call", result: d.b64_json ?? null })) };
}

export async function callResponsesApi(
  client: OpenAI,
  call: ImageCall,
  textModel: string,
  hooks: CallHooks,
  deadline: AttemptDeadline,
  onRequestId: (id: string | null) => void,
): Promise<ImageCallResult> {
  const stream = call.partialImages > 0;
  const body = responsesBody(call, textModel, stream);
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's overloads are keyed on a literal stream flag we set at run time.
  const responses = client.responses as any;
  const raw = (await deadline.race(responses.create(body, { signal: deadline.signal }).asResponse())) as Response;
  const requestId = raw.headers.get("x-request-id");
  onRequestId(requestId);
  if (!raw.body) throw new UpstreamError("the answer had no body", { retryable: true, requestId });
  const bytes = deadline.watch(raw.body as unknown as AsyncIterable<Uint8Array>);
  if (!stream) {
    const { json, images, problem } = await readImagesJson(bytes, RESPONSES_API_KEYS, answerLength(raw.headers));
    const error = failedAnswer(json);
    if (error) throw errorInAnswer(error, requestId);
    const result = extract(problem ? keptFromBroken(json) : (json as ResponseObject), requestId, images);
    return problem ? { ...result, notes: [problem] } : result;
  }
  return readStream(bytes, hooks, requestId);
}

/** A streamed answer: partial images go to the hooks as they arrive; the images come from response.completed. */
async function readStream(
  body: AsyncIterable<Uint8Array>,
  hooks: CallHooks,
  requestId: string | null,
): Promise<ImageCallResult> {
  let completed: { response: ResponseObject; images: (Buffer | null)[] } | null = null;
  for await (const sse of readImagesSse(body, RESPONSES_API_KEYS)) {
    const event = sse.json;
    if (!event) continue;
    if (event.type === "response.image_generation_call.partial_image" && typeof event.partial_image_b64 === "string") {
      const slot = IMAGE_PLACEHOLDER.exec(event.partial_image_b64);
      const bytes = slot ? (sse.images[Number(slot[1])] ?? null) : null;
      hooks.onPartial?.({ index: Number(event.partial_image_index ?? 0), bytes });
    } else if (event.type === "response.completed") {
      completed = { response: event.response as ResponseObject, images: sse.images };
    } else if (event.type === "error" || sse.event === "error") {
      throw errorInAnswer(event.error ?? event, requestId);
    } else if (event.type === "response.failed") {
      const error = (event.response as ResponseObject | undefined)?.error;
      throw errorInAnswer(error ?? { message: "response.failed" }, requestId);
    }
  }
  if (!completed) {
    throw new UpstreamError("the Responses stream ended before response.completed (truncated stream)", {
      retryable: true,
      mayHaveBeenBilled: true,
      requestId,
    });
  }
  return extract(completed.response, requestId, completed.images);
}
