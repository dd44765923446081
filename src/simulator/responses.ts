// The Responses API surface: POST /v1/responses with the image_generation tool, answered as JSON or as server-sent
// events with the real event names (created, partial images, output items, text, completed).

import { randomBytes } from "node:crypto";
import { DEFAULT_RESPONSES_MODEL } from "../contract/models.js";
import { type Exchange, rememberTurn, type SimState, type StoredTurn } from "./context.js";
import { answerFault, takeFault } from "./faults.js";
import { MULTIPART_LIMIT, parseJsonBody, readBody, reject, sleep } from "./http.js";
import type { Fault } from "./knobs.js";
import { dimsOf, imageEntry, produce, renderPartial, usageFor } from "./pictures.js";
import { openSse } from "./sse.js";
import { type SimRequest, validateImageRequest } from "./validate.js";
import { encodeB64, sendAnswer, type Wire, wireFor } from "./wire.js";

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

interface ResponsesRequest {
  body: Record<string, unknown>;
  tool: Record<string, unknown>;
  prompt: string;
  /** Every input image the turn sees: input_image parts, and the earlier image a follow-up continues. */
  inputs: { width: number; height: number }[];
}

/** An input_image part's dimensions, from the data URL's header (a URL or a file id counts as nothing). */
function imagePartDims(part: Record<string, unknown>): { width: number; height: number }[] {
  const url = typeof part.image_url === "string" ? part.image_url : "";
  const data = /^data:[^;,]+;base64,(.*)$/s.exec(url)?.[1];
  return data ? dimsOf(Buffer.from(data.slice(0, 400_000), "base64")) : [];
}

/** The earlier image a follow-up turn edits: by previous_response_id, or an image_generation_call item. */
function earlierTurn(state: SimState, ex: Exchange, body: Record<string, unknown>): StoredTurn[] {
  const previous = body.previous_response_id;
  if (previous === undefined) return [];
  if (typeof previous !== "string" || !state.turns.has(previous)) {
    throw reject(400, `Previous response with id '${String(previous)}' not found.`, {
      param: "previous_response_id",
      code: "previous_response_not_found",
    });
  }
  ex.record.previousResponseId = previous;
  return [state.turns.get(previous) as StoredTurn];
}

/** The body, its image_generation tool, the prompt from every text part, and the input images it carries. */
async function readResponsesRequest(state: SimState, ex: Exchange): Promise<ResponsesRequest> {
  const body = parseJsonBody(await readBody(ex.req, MULTIPART_LIMIT));
  for (const key of Object.keys(body)) {
    if (!RESPONSES_PARAMS.has(key)) {
      throw reject(400, `Unknown parameter: '${key}'.`, { param: key, code: "unknown_parameter" });
    }
  }
  const tools = Array.isArray(body.tools) ? (body.tools as Record<string, unknown>[]) : [];
  const tool = tools.find((t) => t.type === "image_generation");
  if (!tool) throw reject(400, "This request needs the image_generation tool.", { param: "tools" });
  const texts: string[] = [];
  const inputs: { width: number; height: number }[] = earlierTurn(state, ex, body);
  if (typeof body.input === "string") texts.push(body.input);
  for (const item of Array.isArray(body.input) ? (body.input as Record<string, unknown>[]) : []) {
    if (item.type === "image_generation_call") {
      const turn = typeof item.id === "string" ? state.turns.get(item.id) : undefined;
      if (!turn) throw reject(400, `Item with id '${String(item.id)}' not found.`, { param: "input" });
      inputs.push(turn);
    }
    if (typeof item.content === "string") texts.push(item.content);
    for (const part of Array.isArray(item.content) ? (item.content as Record<string, unknown>[]) : []) {
      if (part.type === "input_text" && typeof part.text === "string") texts.push(part.text);
      if (part.type === "input_image") inputs.push(...imagePartDims(part));
    }
  }
  return { body, tool, prompt: texts.join("\n"), inputs };
}

/** One request being answered: what was asked, validated, and how the answer goes on the wire. */
interface Turn {
  state: SimState;
  ex: Exchange;
  request: ResponsesRequest;
  sim: SimRequest;
  fault: Fault | undefined;
  wire: Wire;
}

/** The finished answer: an image_generation_call item (unless no_image) and the assistant's message. */
interface BuiltResponse {
  response: Record<string, unknown> & { output: Record<string, unknown>[] };
  imageItem: Record<string, unknown> & { id: string };
  messageItem: Record<string, unknown> & { id: string };
  assistantText: string;
}

async function buildResponse(turn: Turn): Promise<BuiltResponse> {
  const { state, request, sim, fault, wire } = turn;
  const { body, tool, prompt, inputs } = request;
  const assistantText =
    fault === "no_image"
      ? "I can't create that image, but here is a description instead."
      : `Here is your ${sim.width}x${sim.height} image.`;
  const usage = usageFor(sim, inputs);
  const bytes = fault === "no_image" ? null : await produce(state, sim, 0, fault);
  const imageItem = {
    type: "image_generation_call",
    id: `ig_${randomBytes(12).toString("hex")}`,
    status: "completed",
    result: bytes ? (imageEntry(state, bytes, { fault, wire, mime: `image/${sim.format}` }).b64_json ?? null) : null,
    revised_prompt: `A detailed, high-resolution rendering of: ${prompt.slice(0, 200)}`,
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
  const response = {
    id: `resp_${randomBytes(12).toString("hex")}`,
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    status: "completed",
    model: typeof body.model === "string" ? body.model : DEFAULT_RESPONSES_MODEL,
    output: fault === "no_image" ? [messageItem] : [imageItem, messageItem],
    tools: [tool],
    usage: {
      input_tokens: usage.input_tokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: usage.output_tokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: usage.total_tokens,
    },
  };
  return { response, imageItem, messageItem, assistantText };
}

/** POST /v1/responses with the image_generation tool: JSON, or SSE with the real event names. */
export async function handleResponses(state: SimState, ex: Exchange): Promise<void> {
  const request = await readResponsesRequest(state, ex);
  const { body, tool, prompt } = request;
  const { type: _type, partial_images: partials, ...toolConfig } = tool;
  ex.record.model = typeof tool.model === "string" ? tool.model : "gpt-image-2";
  ex.record.size = typeof tool.size === "string" ? tool.size : undefined;
  ex.record.n = 1;
  ex.record.stream = body.stream === true;
  const fault = await takeFault(state, ex);
  const wire = wireFor(state, fault);
  if (ex.signal.aborted || (await answerFault(fault, ex, { wire, stream: ex.record.stream }))) return;
  const sim = validateImageRequest(
    { ...toolConfig, prompt, ...(partials !== undefined ? { partial_images: partials } : {}) },
    request.inputs.length > 0 ? "edit" : "generation",
  );
  if ("error" in sim) throw reject(sim);
  const turn: Turn = { state, ex, request, sim, fault, wire };
  const built = await buildResponse(turn);
  if (fault !== "no_image") {
    const id = String(built.response.id);
    rememberTurn(state, { responseId: id, imageCallId: built.imageItem.id, width: sim.width, height: sim.height });
  }
  if (!ex.record.stream) return sendAnswer(ex, wire, built.response, fault === "truncate");
  return streamResponse(turn, built);
}

const CUT_AT = "response.image_generation_call.completed";

async function streamResponse(turn: Turn, built: BuiltResponse): Promise<void> {
  const { state, ex, sim, fault, wire } = turn;
  const { response, imageItem, messageItem, assistantText } = built;
  const sse = openSse(ex, wire, CUT_AT);
  let sequence = 0;
  const send = (data: Record<string, unknown>) => sse.send(String(data.type), { ...data, sequence_number: sequence++ });
  const pending = { ...response, status: "in_progress", output: [] };
  await send({ type: "response.created", response: pending });
  await send({ type: "response.in_progress", response: pending });
  const call = { output_index: 0, item_id: imageItem.id };
  if (fault !== "no_image") {
    const added = { ...imageItem, status: "in_progress", result: null };
    await send({ type: "response.output_item.added", output_index: 0, item: added });
    await send({ type: "response.image_generation_call.in_progress", ...call });
    await send({ type: "response.image_generation_call.generating", ...call });
    for (let i = 0; i < sim.partialImages; i++) {
      if (ex.signal.aborted) return;
      const partial = encodeB64(await renderPartial(state, sim, i), wire);
      const event = { type: "response.image_generation_call.partial_image", ...call, partial_image_index: i };
      await send({ ...event, partial_image_b64: partial });
      await sleep(state.options.partialDelayMs ?? 0, ex.signal);
    }
    if (!(await send({ type: CUT_AT, ...call }))) return;
    await send({ type: "response.output_item.done", output_index: 0, item: imageItem });
  }
  const index = response.output.length - 1;
  const text = { output_index: index, item_id: messageItem.id, content_index: 0 };
  const opened = { ...messageItem, status: "in_progress", content: [] };
  await send({ type: "response.output_item.added", output_index: index, item: opened });
  await send({ type: "response.output_text.delta", ...text, delta: assistantText });
  await send({ type: "response.output_text.done", ...text, text: assistantText });
  await send({ type: "response.output_item.done", output_index: index, item: messageItem });
  await send({ type: "response.completed", response });
  sse.end();
}
