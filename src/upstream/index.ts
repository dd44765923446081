// The upstream facade the use-cases call: one image request (or n of them, fanned out where one call yields one
// image), with bounded retries, the concurrency limit, and every request id and retry kept. It hands back image
// bytes — decoded from base64 or downloaded from a URL — or, per image, why there are none.

import { decodeBase64Strict } from "../contract/formats.js";
import { endpointPath } from "../contract/request.js";
import { AbortedError } from "../errors.js";
import type { Logger } from "../log.js";
import { redactDeep, redactMaybe, redactText } from "../secrets.js";
import { getClient } from "./client.js";
import { AttemptDeadline } from "./deadline.js";
import { DEFAULT_DOWNLOAD_POLICY, type DownloadPolicy, downloadImage } from "./download.js";
import { classify, loadSdkErrors } from "./errors.js";
import type { GatewayProfile } from "./gateways.js";
import { callImagesApi } from "./images-api.js";
import { callResponsesApi } from "./responses-api.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetries } from "./retry.js";
import type {
  CallHooks,
  DeliveredImage,
  Endpoint,
  ImageCall,
  ImageCallResult,
  RetryRecord,
  SendStep,
  Slots,
  StepOutcome,
  UpstreamImage,
  Usage,
} from "./types.js";

export interface UpstreamOutcome {
  images: UpstreamImage[];
  usage: Usage | null;
  requestIds: string[];
  retries: RetryRecord[];
  meta: Record<string, unknown>;
  /** How many HTTP calls the images took (fan-out makes one per image). */
  calls: number;
  /** Fanned-out calls that failed while others succeeded: their images are missing, and the reason is here. */
  failures: string[];
  /** What was odd about an answer whose images were still kept (malformed JSON around them). */
  notes: string[];
  /** Responses route: the response ids, the image_generation call ids and the assistant's text. */
  responseIds: string[];
  callIds: string[];
  assistantText: string | null;
}

export interface UpstreamOptions {
  endpoint: Endpoint;
  logger: Logger;
  /** Concurrency slots shared by every upstream call of the process (or of all replicas). */
  slots: Slots;
  retry?: Partial<RetryPolicy>;
  /** The upstream gives one image per call: send n calls in parallel instead of one call with n. */
  fanOut?: boolean;
  /** Which response shapes to accept; url images are downloaded under this policy. */
  accepts?: GatewayProfile["accepts"];
  download?: DownloadPolicy;
  /** A body ends after this long without bytes (PIXELWRIGHT_STREAM_IDLE_SECONDS). */
  streamIdleMs?: number;
}

export interface Upstream {
  endpoint: Endpoint;
  /** How many HTTP calls (paid steps) the first attempt of an image request makes. */
  calls(call: Pick<ImageCall, "route">, n: number): number;
  /** The URL path an image request goes to, for the production record. */
  endpointPath(call: ImageCall): string;
  generate(
    call: ImageCall,
    n: number,
    hooks: CallHooks & { onQueued?: (queued: boolean) => void },
  ): Promise<UpstreamOutcome>;
}

function addUsage(a: Usage | null, b: Usage | undefined): Usage | null {
  if (!b) return a;
  if (!a) return structuredClone(b);
  return {
    input_tokens: (a.input_tokens ?? 0) + (b.input_tokens ?? 0),
    input_tokens_details: {
      image_tokens: (a.input_tokens_details?.image_tokens ?? 0) + (b.input_tokens_details?.image_tokens ?? 0),
      text_tokens: (a.input_tokens_details?.text_tokens ?? 0) + (b.input_tokens_details?.text_tokens ?? 0),
    },
    output_tokens: (a.output_tokens ?? 0) + (b.output_tokens ?? 0),
    total_tokens: (a.total_tokens ?? 0) + (b.total_tokens ?? 0),
  };
}

/** Holds a slot for the length of one call; the wait for it is reported as "queued". */
async function inSlot<T>(
  slots: Slots,
  hooks: { signal?: AbortSignal; onQueued?: (queued: boolean) => void },
  fn: () => Promise<T>,
): Promise<T> {
  if (slots.inFlight >= slots.limit) hooks.onQueued?.(true);
  const release = await slots.acquire(hooks.signal);
  hooks.onQueued?.(false);
  try {
    return await fn();
  } finally {
    release();
  }
}

/** What an error says about billing: an error answer (HTTP status, or an error the provider wrote) is not billed. */
async function outcomeOf(err: unknown, provider: string): Promise<StepOutcome> {
  const { error } = classify(err, provider, await loadSdkErrors());
  if (error instanceof AbortedError) return { billed: "unknown" };
  return error.details.mayHaveBeenBilled ? { billed: "unknown" } : { billed: "no" };
}

/** How many HTTP calls an image request takes: one, or one per image where the upstream gives one per call. */
export function callsFor(call: Pick<ImageCall, "route">, n: number, fanOut: boolean): number {
  return n > 1 && (fanOut || call.route === "responses") ? n : 1;
}

/** Every delivered image becomes bytes (decoded, or downloaded under the guards) or the reason it cannot. */
async function imageBytes(
  image: DeliveredImage,
  options: UpstreamOptions,
  signal?: AbortSignal,
): Promise<UpstreamImage> {
  const accepts = options.accepts ?? { b64: true, url: false };
  // What the provider wrote is outside text: redacted before anything keeps it.
  const revisedPrompt = redactMaybe(image.revisedPrompt ?? null);
  if (image.error) return { error: redactText(image.error) };
  if (image.bytes) return { bytes: image.bytes, revisedPrompt };
  if (image.b64) {
    const bytes = decodeBase64Strict(image.b64);
    return bytes ? { bytes, revisedPrompt } : { error: "its data is not valid base64" };
  }
  if (!image.url) return { error: "no image data" };
  if (!accepts.url)
    return { error: `it came as a URL, which the ${options.endpoint.provider} profile does not accept` };
  try {
    const downloaded = await downloadImage(image.url, options.download ?? DEFAULT_DOWNLOAD_POLICY, signal);
    return { bytes: downloaded.bytes, revisedPrompt };
  } catch (err) {
    return { error: redactText(`its URL could not be downloaded: ${(err as Error).message}`) };
  }
}

type Client = Awaited<ReturnType<typeof getClient>>;

interface Attempt {
  client: Client;
  call: ImageCall;
  hooks: CallHooks;
  options: UpstreamOptions;
  /** Every request id seen, in order (failed attempts' too). */
  requestIds: string[];
}

/**
 * One paid step: reserved and recorded as sent before a byte goes out (a refusal sends nothing), one deadline over
 * connect, headers and body, and its outcome (billed, not billed, unknown) told to the ledger.
 */
async function sendAttempt(a: Attempt, body: Record<string, unknown>, step: SendStep): Promise<ImageCallResult> {
  const { client, call, hooks, options } = a;
  if (hooks.signal?.aborted) throw new AbortedError();
  const ticket = await hooks.onSending?.(step);
  if (hooks.signal?.aborted) {
    // Stopped (a shutdown, a drain) while the step was reserved and recorded: no byte went out, so nothing is billed.
    await ticket?.done({ billed: "no" });
    throw new AbortedError(String(hooks.signal.reason ?? "cancelled"));
  }
  // The request id is known once the headers arrive.
  let rid: string | null = null;
  const limits = { totalMs: options.endpoint.timeoutMs, idleMs: options.streamIdleMs ?? 120_000 };
  const deadline = new AttemptDeadline(limits, hooks.signal, () => rid);
  const onRequestId = (id: string | null) => {
    rid = id;
  };
  try {
    const request = { ...call, body };
    const result =
      call.route === "responses"
        ? await callResponsesApi(client, request, call.responsesModel as string, hooks, deadline, onRequestId)
        : await callImagesApi(client, request, hooks, deadline, onRequestId);
    if (result.requestId) {
      a.requestIds.push(result.requestId);
      hooks.onRequestId?.(redactText(result.requestId));
    }
    await ticket?.done({ billed: "yes", usage: result.usage ?? null });
    return result;
  } catch (err) {
    await ticket?.done(await outcomeOf(err, options.endpoint.provider));
    const known = (err as { requestID?: string }).requestID ?? rid;
    if (known) {
      a.requestIds.push(known);
      hooks.onRequestId?.(redactText(known));
    }
    // Errors our readers raise after the headers carry the answer's request id too.
    if (known && typeof err === "object" && err !== null && !("requestID" in err)) {
      (err as { requestID?: string }).requestID = known;
    }
    throw err;
  } finally {
    deadline.dispose();
  }
}

/** The outcome of all the calls of one request: images that arrived are kept even when a sibling call failed. */
async function outcomeOfCalls(
  settled: PromiseSettledResult<ImageCallResult>[],
  a: Attempt & { retries: RetryRecord[]; calls: number },
): Promise<UpstreamOutcome> {
  const results = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const errors = settled.flatMap((s) => (s.status === "rejected" ? [s.reason as unknown] : []));
  // Only a total failure is an error.
  if (results.length === 0) throw errors[0];
  let usage: Usage | null = null;
  for (const r of results) usage = addUsage(usage, r.usage);
  const delivered = results.flatMap((r) => r.images);
  const images = await Promise.all(delivered.map((image) => imageBytes(image, a.options, a.hooks.signal)));
  const texts = results.map((r) => r.assistantText).filter((t): t is string => Boolean(t));
  // Everything the provider wrote (ids, prompts, text, messages) is redacted here, before it is stored or shown.
  return {
    images,
    responseIds: results.flatMap((r) => (r.responseId ? [redactText(r.responseId)] : [])),
    callIds: results.flatMap((r) => r.callIds ?? []).map(redactText),
    assistantText: texts.length ? redactText(texts.join("\n\n")) : null,
    usage,
    requestIds: a.requestIds.map(redactText),
    retries: a.retries.map((r) => ({ ...r, reason: redactText(r.reason), request_id: redactMaybe(r.request_id) })),
    meta: redactDeep(results[0]?.meta ?? {}),
    calls: a.calls,
    failures: errors.map((e) => redactText(e instanceof Error ? e.message : String(e))),
    notes: results.flatMap((r) => r.notes ?? []),
  };
}

export function createUpstream(options: UpstreamOptions): Upstream {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const { endpoint, logger, slots } = options;
  return {
    endpoint,
    endpointPath: (call) => endpointPath(call.route ?? "images", call.edit !== undefined),
    calls: (call, n) => callsFor(call, n, options.fanOut === true),
    async generate(call, n, hooks) {
      const attempt: Attempt = { client: await getClient(endpoint, logger), call, hooks, options, requestIds: [] };
      const retries: RetryRecord[] = [];
      const one = (body: Record<string, unknown>, slot: number, of: number) =>
        withRetries((n) => inSlot(slots, hooks, () => sendAttempt(attempt, body, { attempt: n, slot, of })), {
          policy,
          provider: endpoint.provider,
          ...(hooks.signal ? { signal: hooks.signal } : {}),
          onRetry: (record) => {
            retries.push(record);
            logger.warn({ ...record, provider: endpoint.provider }, "retrying upstream image request");
            hooks.onRetry?.(record);
          },
        });
      // The Responses tool makes one image per call, like gateways that ignore n.
      const bodies =
        callsFor(call, n, options.fanOut === true) > 1
          ? Array.from({ length: n }, () => ({ ...call.body, n: 1 }))
          : [{ ...call.body, ...(n > 1 ? { n } : {}) }];
      const settled = await Promise.allSettled(bodies.map((body, slot) => one(body, slot, bodies.length)));
      return outcomeOfCalls(settled, { ...attempt, retries, calls: bodies.length });
    },
  };
}
