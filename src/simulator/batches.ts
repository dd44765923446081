// The Batch API surface: POST /v1/batches (an uploaded JSONL file of requests, one endpoint, the 24 h window),
// GET /v1/batches/{id} and POST /v1/batches/{id}/cancel. A batch is answered the first time it is looked at after
// it was created (unless a batch fault holds it in progress): every line is judged like a direct request, rendered,
// and written to an output file (answers) and an error file (failed lines) in the real format.

import { randomBytes } from "node:crypto";
import type { Exchange, SimBatch, SimState } from "./context.js";
import { storeFile } from "./files.js";
import { JSON_LIMIT, parseJsonBody, readBody, reject, requestId, sendJson } from "./http.js";
import { produce, usageFor } from "./pictures.js";
import { validateImageRequest } from "./validate.js";

const ENDPOINTS = ["/v1/images/generations", "/v1/images/edits", "/v1/responses", "/v1/chat/completions"];
const IMAGE_ENDPOINTS = ["/v1/images/generations"];
const WINDOW_S = 24 * 60 * 60;

const now = () => Math.floor(Date.now() / 1000);

interface InputLine {
  customId: string;
  body: Record<string, unknown>;
}

function batchObject(batch: SimBatch) {
  return {
    id: batch.id,
    object: "batch",
    endpoint: batch.endpoint,
    errors: batch.errors.length ? { object: "list", data: batch.errors } : null,
    input_file_id: batch.inputFileId,
    completion_window: batch.window,
    status: batch.status,
    output_file_id: batch.outputFileId,
    error_file_id: batch.errorFileId,
    created_at: batch.createdAt,
    expires_at: batch.createdAt + WINDOW_S,
    ...batch.times,
    request_counts: batch.counts,
    metadata: batch.metadata,
  };
}

/** The requests of an input file, or the reasons the batch fails validation (as the API lists them). */
function readInput(text: string, endpoint: string): { lines: InputLine[]; errors: SimBatch["errors"] } {
  const lines: InputLine[] = [];
  const errors: SimBatch["errors"] = [];
  const seen = new Set<string>();
  for (const [i, raw] of text.split("\n").entries()) {
    if (!raw.trim()) continue;
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      errors.push({ code: "invalid_json_line", message: "This line is not parseable as valid JSON.", line: i + 1 });
      continue;
    }
    const customId = typeof line.custom_id === "string" ? line.custom_id : "";
    if (!customId || seen.has(customId)) {
      errors.push({ code: "duplicate_custom_id", message: "The custom_id is missing or not unique.", line: i + 1 });
    } else if (line.url !== endpoint || line.method !== "POST") {
      errors.push({ code: "mismatched_endpoint", message: `The url must be ${endpoint}.`, line: i + 1 });
    } else {
      seen.add(customId);
      lines.push({ customId, body: (line.body ?? {}) as Record<string, unknown> });
    }
  }
  if (lines.length === 0 && errors.length === 0) {
    errors.push({ code: "empty_file", message: "The input file has no requests.", line: null });
  }
  return { lines, errors };
}

const BATCH_FAULT_FAILED = {
  code: "invalid_request",
  message: "The batch was refused as a whole (simulated).",
  line: 1,
};

async function create(state: SimState, ex: Exchange): Promise<void> {
  const body = parseJsonBody(await readBody(ex.req, JSON_LIMIT));
  const endpoint = String(body.endpoint ?? "");
  if (!ENDPOINTS.includes(endpoint)) throw reject(400, `Invalid endpoint: '${endpoint}'.`, { param: "endpoint" });
  if (body.completion_window !== "24h") {
    throw reject(400, "Invalid completion_window: only '24h' is supported.", { param: "completion_window" });
  }
  const input = state.files.get(String(body.input_file_id ?? ""));
  if (!input) throw reject(404, `No such File object: ${String(body.input_file_id)}`, { param: "input_file_id" });
  if (input.purpose !== "batch") throw reject(400, "The input file must have purpose 'batch'.");
  const fault = state.batchFaults.shift();
  const { lines, errors } = readInput(input.bytes.toString("utf8"), endpoint);
  const batch: SimBatch = {
    id: `batch_${randomBytes(12).toString("hex")}`,
    inputFileId: input.id,
    endpoint,
    window: "24h",
    metadata: (body.metadata as Record<string, string> | undefined) ?? null,
    createdAt: now(),
    status: "validating",
    fault,
    requests: lines,
    held: fault === "batch_running",
    outputFileId: null,
    errorFileId: null,
    counts: { total: lines.length, completed: 0, failed: 0 },
    errors: fault === "batch_failed" ? [BATCH_FAULT_FAILED] : errors,
    times: {},
  };
  state.batches.set(batch.id, batch);
  sendJson(ex.res, 200, batchObject(batch));
}

/** A line of the output or error file. */
function fileLine(customId: string, response: object | null, error: object | null = null): string {
  return JSON.stringify({ id: `batch_req_${randomBytes(12).toString("hex")}`, custom_id: customId, response, error });
}

/** A request answered with an API error: its line goes to the error file. */
const refusedLine = (customId: string, status: number, error: object) => ({
  ok: false,
  text: fileLine(customId, { status_code: status, request_id: requestId(), body: { error } }),
});

const MODERATED = {
  message: "Your request was rejected as a result of our safety system.",
  type: "image_generation_user_error",
  param: null,
  code: "moderation_blocked",
};

/** One request of a batch as its line in the output file (answered) or the error file (refused). */
async function answerLine(state: SimState, batch: SimBatch, line: InputLine): Promise<{ ok: boolean; text: string }> {
  if (!IMAGE_ENDPOINTS.includes(batch.endpoint)) {
    const error = { message: "The simulator answers image generation batches only.", type: "invalid_request_error" };
    return refusedLine(line.customId, 400, error);
  }
  const sim = validateImageRequest(line.body, "generation");
  if ("error" in sim) return refusedLine(line.customId, sim.status, sim.error);
  const data: { b64_json: string }[] = [];
  for (let i = 0; i < sim.n; i++) data.push({ b64_json: (await produce(state, sim, i)).toString("base64") });
  const body = {
    created: now(),
    data,
    size: `${sim.width}x${sim.height}`,
    quality: sim.quality,
    output_format: sim.format,
    background: sim.transparent ? "transparent" : "opaque",
    usage: usageFor(sim, []),
  };
  return { ok: true, text: fileLine(line.customId, { status_code: 200, request_id: requestId(), body }) };
}

const UNANSWERED = {
  expired: {
    code: "batch_expired",
    message: "This request could not be executed before the completion window expired.",
  },
  cancelled: { code: "batch_cancelled", message: "This request was cancelled before it could be executed." },
} as const;

/**
 * Runs a batch to its end: answers its requests (all of them; the first half when it expires or is cancelled by a
 * fault; none when it was cancelled while held), the last one refused by moderation under batch_partial.
 */
async function finish(state: SimState, batch: SimBatch, end: "completed" | "expired" | "cancelled"): Promise<void> {
  const lines = batch.requests;
  batch.requests = [];
  const answered = end === "completed" ? lines.length : batch.fault ? Math.ceil(lines.length / 2) : 0;
  const output: string[] = [];
  const errors: string[] = [];
  for (const [i, line] of lines.entries()) {
    if (i >= answered) {
      errors.push(fileLine(line.customId, null, UNANSWERED[end === "expired" ? "expired" : "cancelled"]));
      continue;
    }
    const moderated = batch.fault === "batch_partial" && i === lines.length - 1;
    const done = moderated ? refusedLine(line.customId, 400, MODERATED) : await answerLine(state, batch, line);
    (done.ok ? output : errors).push(done.text);
  }
  const file = (texts: string[], kind: string) =>
    texts.length
      ? storeFile(state, Buffer.from(`${texts.join("\n")}\n`), `${batch.id}_${kind}.jsonl`, "batch_output").id
      : null;
  batch.outputFileId = file(output, "output");
  batch.errorFileId = file(errors, "error");
  batch.counts = { total: lines.length, completed: output.length, failed: errors.length };
  batch.status = end;
  batch.times[`${end}_at`] = now();
}

/** What a look at a batch finds: it moves on from validating, and ends unless it is held. */
async function advance(state: SimState, batch: SimBatch): Promise<void> {
  if (batch.status === "validating") {
    if (batch.errors.length > 0) {
      batch.status = "failed";
      batch.times.failed_at = now();
      batch.requests = [];
      return;
    }
    batch.status = "in_progress";
    batch.times.in_progress_at = now();
  }
  if (batch.status === "cancelling") return finish(state, batch, "cancelled");
  if (batch.status !== "in_progress" || batch.held) return;
  const end =
    batch.fault === "batch_expired" ? "expired" : batch.fault === "batch_cancelled" ? "cancelled" : "completed";
  batch.times.finalizing_at = now();
  await finish(state, batch, end);
}

/** /v1/batches, /v1/batches/{id} and /v1/batches/{id}/cancel. */
export async function handleBatches(state: SimState, ex: Exchange): Promise<void> {
  const { req, res, url } = ex;
  const [, , , id, action] = url.pathname.split("/");
  if (req.method === "POST" && id === undefined) return create(state, ex);
  const batch = id ? state.batches.get(id) : undefined;
  if (id && !batch) throw reject(404, `No batch found with id '${id}'.`, { param: "batch_id" });
  if (batch && req.method === "GET" && action === undefined) {
    await advance(state, batch);
    return sendJson(res, 200, batchObject(batch));
  }
  if (batch && req.method === "POST" && action === "cancel") {
    if (["completed", "failed", "expired", "cancelled"].includes(batch.status)) {
      throw reject(409, `Cannot cancel a batch with status '${batch.status}'.`);
    }
    batch.status = "cancelling";
    batch.fault = undefined;
    batch.times.cancelling_at = now();
    return sendJson(res, 200, batchObject(batch));
  }
  throw reject(404, `Invalid URL (${req.method} ${url.pathname})`);
}
