// The Responses route: a text model with the image_generation tool forced by tool_choice, for images that are one
// step of a larger assistant flow. Same validated arguments, same SDK, same guarantees as the Images route.

import type OpenAI from "openai";
import { decodeBase64Strict } from "../contract/formats.js";
import { UpstreamError } from "../errors.js";
import type { AttemptDeadline } from "./deadline.js";
import { errorInAnswer } from "./errors.js";
import type { CallHooks, DeliveredImage, ImageCall, ImageCallResult, Usage } from "./types.js";

const TOOL_FIELDS = [
  "model",
  "size",
  "quality",
  "output_format",
  "output_compression",
  "background",
  "moderation",
  "input_fidelity",
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
    input: [{ role: "user", content }],
    tools: [tool],
    tool_choice: { type: "image_generation" },
    ...(stream ? { stream: true } : {}),
  };
}

function extract(response: ResponseObject, requestId: string | null): ImageCallResult {
  const images: DeliveredImage[] = [];
  const callIds: string[] = [];
  const texts: string[] = [];
  for (const item of response.output ?? []) {
    if (item.type === "image_generation_call") {
      if (item.id) callIds.push(item.id);
      if (item.result) {
        images.push({ b64: item.result, ...(item.revised_prompt ? { revisedPrompt: item.revised_prompt } : {}) });
      }
    } else if (item.type === "message") {
      for (const part of item.content ?? []) if (part.type === "output_text" && part.text) texts.push(part.text);
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
    ...(response.usage ? { usage: response.usage } : {}),
    requestId,
    meta: {},
    responseId: response.id ?? null,
    assistantText,
    callIds,
  };
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
  const { data, request_id: requestId } = (await deadline.race(
    responses.create(body, { signal: deadline.signal }).withResponse(),
  )) as { data: unknown; request_id: string | null };
  onRequestId(requestId);
  if (!stream) {
    const error = failedAnswer(data);
    if (error) throw errorInAnswer(error, requestId);
    return extract(data as ResponseObject, requestId);
  }

  // The SDK reads the SSE (and skips `data: [DONE]`); the deadlines still apply to every event.
  let completed: ResponseObject | null = null;
  for await (const event of deadline.watch(data as AsyncIterable<{ type: string; [key: string]: unknown }>)) {
    if (event.type === "response.image_generation_call.partial_image" && typeof event.partial_image_b64 === "string") {
      const bytes = decodeBase64Strict(event.partial_image_b64);
      hooks.onPartial?.({ index: Number(event.partial_image_index ?? 0), bytes });
    } else if (event.type === "response.completed") {
      completed = event.response as ResponseObject;
    } else if (event.type === "error") {
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
  return extract(completed, requestId);
}
