// The Batch API route, through the official openai SDK: a JSONL file of Images API requests uploaded to /v1/files
// (purpose "batch"), one batch made of it on /v1/batches (one endpoint, the 24 h window), the batch looked at, and
// its output and error files read line by line. Creating the batch is the paid step: it is sent once, never retried
// (a create whose answer was lost may have made a batch); uploads and reads are free and retried.

import type OpenAI from "openai";
import { decodeBase64Strict } from "../contract/formats.js";
import { UpstreamError } from "../errors.js";
import type { Logger } from "../log.js";
import { redactText } from "../secrets.js";
import { getClient } from "./client.js";
import { classify, loadSdkErrors } from "./errors.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetries } from "./retry.js";
import { type Endpoint, type UpstreamImage, type Usage, usageOf } from "./types.js";

/** One request of a batch: its id in the file, and the JSON body its endpoint takes. */
export interface BatchRequestLine {
  customId: string;
  body: Record<string, unknown>;
}

/** A batch as the Batch API reports it. */
export interface BatchInfo {
  id: string;
  status: string;
  /** Completed, failed, expired or cancelled: nothing more will come. */
  terminal: boolean;
  outputFileId: string | null;
  errorFileId: string | null;
  counts: { total: number; completed: number; failed: number };
  /** Why the batch as a whole failed (its validation errors), redacted. */
  errors: string[];
}

/** One line of an output or error file: the answer to one request, or why it has none. */
export interface BatchAnswer {
  customId: string;
  requestId: string | null;
  images: UpstreamImage[];
  usage: Usage | null;
  error: { code: string | null; message: string } | null;
}

export interface BatchApi {
  /** Uploads the requests as a JSONL file (purpose "batch"): free, retried. Returns the file's id. */
  upload(lines: readonly BatchRequestLine[], url: string, signal?: AbortSignal): Promise<string>;
  /** Creates the batch of an uploaded file: the paid step, sent once. */
  create(
    fileId: string,
    options: { endpoint: string; window: string; metadata: Record<string, string>; signal?: AbortSignal },
  ): Promise<BatchInfo>;
  retrieve(batchId: string, signal?: AbortSignal): Promise<BatchInfo>;
  /** Every line of an output or error file, in order, read from the byte stream. */
  answers(fileId: string, signal?: AbortSignal): AsyncIterable<BatchAnswer>;
}

const TERMINAL = new Set(["completed", "failed", "expired", "cancelled"]);
/** No line of an output file is longer than this (ten 4K PNGs as base64 are about 350 MB). */
const MAX_LINE_BYTES = 512 * 1024 * 1024;

type SdkBatch = Awaited<ReturnType<OpenAI["batches"]["retrieve"]>>;

function infoOf(batch: SdkBatch): BatchInfo {
  const counts = batch.request_counts;
  return {
    id: redactText(batch.id),
    status: batch.status,
    terminal: TERMINAL.has(batch.status),
    outputFileId: batch.output_file_id ?? null,
    errorFileId: batch.error_file_id ?? null,
    counts: { total: counts?.total ?? 0, completed: counts?.completed ?? 0, failed: counts?.failed ?? 0 },
    errors: (batch.errors?.data ?? []).map((e) =>
      redactText(
        `${e.line !== undefined && e.line !== null ? `line ${e.line}: ` : ""}${e.message ?? e.code ?? "invalid"}`,
      ),
    ),
  };
}

/** The bytes of a stream, one line at a time (JSONL), each line at most MAX_LINE_BYTES. */
async function* linesOf(body: AsyncIterable<Uint8Array>): AsyncIterable<string> {
  let pending: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    let rest = Buffer.from(chunk);
    for (let at = rest.indexOf(10); at !== -1; at = rest.indexOf(10)) {
      pending.push(rest.subarray(0, at));
      yield Buffer.concat(pending).toString("utf8");
      pending = [];
      size = 0;
      rest = rest.subarray(at + 1);
    }
    size += rest.length;
    if (size > MAX_LINE_BYTES) throw new UpstreamError("a line of the batch's file is too long", { retryable: false });
    if (rest.length > 0) pending.push(rest);
  }
  if (size > 0) yield Buffer.concat(pending).toString("utf8");
}

type Json = Record<string, unknown>;
const objectOf = (value: unknown): Json | null =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : null;

function errorOf(value: unknown, fallback: string): { code: string | null; message: string } {
  const error = objectOf(value);
  const code = typeof error?.code === "string" ? redactText(error.code) : null;
  const message = typeof error?.message === "string" ? redactText(error.message) : fallback;
  return { code, message };
}

function imagesOf(body: Json): UpstreamImage[] {
  const data = Array.isArray(body.data) ? body.data : [];
  return data.map((entry): UpstreamImage => {
    const image = objectOf(entry) ?? {};
    const revisedPrompt = typeof image.revised_prompt === "string" ? redactText(image.revised_prompt) : null;
    if (typeof image.b64_json !== "string") return { error: "the answer carries no b64_json image" };
    const bytes = decodeBase64Strict(image.b64_json);
    return bytes ? { bytes, revisedPrompt } : { error: "its data is not valid base64" };
  });
}

/** One line of an output or error file as what it means for its request. */
export function answerOf(line: string): BatchAnswer | null {
  if (!line.trim()) return null;
  let parsed: Json | null;
  try {
    parsed = objectOf(JSON.parse(line));
  } catch {
    return null;
  }
  if (!parsed || typeof parsed.custom_id !== "string") return null;
  const response = objectOf(parsed.response);
  const body = objectOf(response?.body);
  const requestId = typeof response?.request_id === "string" ? redactText(response.request_id) : null;
  const base = { customId: parsed.custom_id, requestId, images: [], usage: null };
  if (parsed.error) return { ...base, error: errorOf(parsed.error, "the request failed") };
  const status = Number(response?.status_code);
  if (!body || status !== 200) {
    return { ...base, error: errorOf(body?.error, `the request was answered with HTTP ${status || "no status"}`) };
  }
  return { ...base, images: imagesOf(body), usage: usageOf(body.usage) ?? null, error: null };
}

export function createBatchApi(options: {
  endpoint: Endpoint;
  logger: Logger;
  retry?: Partial<RetryPolicy>;
}): BatchApi {
  const { endpoint, logger } = options;
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const client = () => getClient(endpoint, logger);
  const retried = <T>(what: string, signal: AbortSignal | undefined, fn: () => Promise<T>) =>
    withRetries(fn, {
      policy,
      provider: endpoint.provider,
      ...(signal ? { signal } : {}),
      onRetry: (record) => logger.warn({ ...record, provider: endpoint.provider, what }, "retrying a Batch API call"),
    });

  return {
    async upload(lines, url, signal) {
      const sdk = await client();
      const { toFile } = await import("openai");
      const jsonl = lines.map((l) => JSON.stringify({ custom_id: l.customId, method: "POST", url, body: l.body }));
      const bytes = Buffer.from(`${jsonl.join("\n")}\n`);
      const file = await retried("upload", signal, async () =>
        sdk.files.create({ file: await toFile(bytes, "pixelwright-batch.jsonl"), purpose: "batch" }, { signal }),
      );
      return file.id;
    },
    async create(fileId, { endpoint: url, window, metadata, signal }) {
      const sdk = await client();
      const params = { input_file_id: fileId, endpoint: url, completion_window: window, metadata };
      try {
        return infoOf(await sdk.batches.create(params as Parameters<OpenAI["batches"]["create"]>[0], { signal }));
      } catch (err) {
        throw classify(err, endpoint.provider, await loadSdkErrors()).error;
      }
    },
    async retrieve(batchId, signal) {
      const sdk = await client();
      return infoOf(await retried("retrieve", signal, () => sdk.batches.retrieve(batchId, { signal })));
    },
    async *answers(fileId, signal) {
      const sdk = await client();
      const response = await retried("download", signal, () => sdk.files.content(fileId, { signal }));
      if (!response.body) throw new UpstreamError("the batch's file came back empty", { retryable: false });
      for await (const line of linesOf(response.body as unknown as AsyncIterable<Uint8Array>)) {
        const answer = answerOf(line);
        if (answer) yield answer;
      }
    },
  };
}
