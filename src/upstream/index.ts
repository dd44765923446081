// The upstream facade the jobs use: one image request (or n of them, fanned out where one call yields one image),
// with bounded retries, the concurrency limit, and every request id and retry kept.

import type { Limiter } from "../jobs/limiter.js";
import type { Logger } from "../log.js";
import { getClient } from "./client.js";
import { DEFAULT_DOWNLOAD_POLICY, type DownloadPolicy, downloadImage } from "./download.js";
import type { GatewayProfile } from "./gateways.js";
import { callImagesApi } from "./images-api.js";
import { callResponsesApi } from "./responses-api.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetries } from "./retry.js";
import type { CallHooks, DeliveredImage, Endpoint, ImageCall, RetryRecord, Usage } from "./types.js";

export interface UpstreamOutcome {
  images: DeliveredImage[];
  usage: Usage | null;
  requestIds: string[];
  retries: RetryRecord[];
  meta: Record<string, unknown>;
  /** How many HTTP calls the images took (fan-out makes one per image). */
  calls: number;
  /** Fanned-out calls that failed while others succeeded: their images are missing, and the reason is here. */
  failures: string[];
  /** Responses route: the response ids, the image_generation call ids and the assistant's text. */
  responseIds: string[];
  callIds: string[];
  assistantText: string | null;
}

export interface UpstreamOptions {
  endpoint: Endpoint;
  logger: Logger;
  limiter: Limiter;
  retry?: Partial<RetryPolicy>;
  /** The upstream gives one image per call: send n calls in parallel instead of one call with n. */
  fanOut?: boolean;
  /** Which response shapes to accept; url images are downloaded under this policy. */
  accepts?: GatewayProfile["accepts"];
  download?: DownloadPolicy;
}

export interface Upstream {
  endpoint: Endpoint;
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

export function createUpstream(options: UpstreamOptions): Upstream {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const { endpoint, logger, limiter } = options;
  const accepts = options.accepts ?? { b64: true, url: false };

  /** A url image becomes bytes (downloaded under the guards) or an error; b64 images pass through. */
  async function fetchUrl(image: DeliveredImage, signal?: AbortSignal): Promise<DeliveredImage> {
    if (image.b64 || !image.url) return image;
    if (!accepts.url) {
      return { ...image, error: `it came as a URL, which the ${endpoint.provider} profile does not accept` };
    }
    try {
      const downloaded = await downloadImage(image.url, options.download ?? DEFAULT_DOWNLOAD_POLICY, signal);
      return { ...image, bytes: downloaded.bytes };
    } catch (err) {
      return { ...image, error: `its URL could not be downloaded: ${(err as Error).message}` };
    }
  }

  return {
    endpoint,
    endpointPath: (call) =>
      call.route === "responses" ? "/v1/responses" : call.edit ? "/v1/images/edits" : "/v1/images/generations",
    async generate(call, n, hooks) {
      const client = await getClient(endpoint, logger);
      const retries: RetryRecord[] = [];
      const requestIds: string[] = [];
      const one = (body: Record<string, unknown>) =>
        withRetries(
          async () => {
            if (limiter.inFlight >= limiter.limit) hooks.onQueued?.(true);
            return limiter.run(async () => {
              hooks.onQueued?.(false);
              try {
                const request = { ...call, body };
                const result =
                  call.route === "responses"
                    ? await callResponsesApi(client, request, call.responsesModel ?? "gpt-5", hooks)
                    : await callImagesApi(client, request, hooks);
                if (result.requestId) requestIds.push(result.requestId);
                return result;
              } catch (err) {
                const rid = (err as { requestID?: string; details?: { requestId?: string } }).requestID;
                if (rid) requestIds.push(rid);
                throw err;
              }
            }, hooks.signal);
          },
          {
            policy,
            provider: endpoint.provider,
            ...(hooks.signal ? { signal: hooks.signal } : {}),
            onRetry: (record) => {
              retries.push(record);
              logger.warn({ ...record, provider: endpoint.provider }, "retrying upstream image request");
              hooks.onRetry?.(record);
            },
          },
        );

      // The Responses tool makes one image per call, like gateways that ignore n.
      const bodies =
        n > 1 && (options.fanOut || call.route === "responses")
          ? Array.from({ length: n }, () => ({ ...call.body, n: 1 }))
          : [{ ...call.body, ...(n > 1 ? { n } : {}) }];
      const settled = await Promise.allSettled(bodies.map((body) => one(body)));
      const results = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
      const errors = settled.flatMap((s) => (s.status === "rejected" ? [s.reason as unknown] : []));
      // Paid images that arrived are kept even when a sibling call failed; only a total failure is an error.
      if (results.length === 0) throw errors[0];
      let usage: Usage | null = null;
      for (const r of results) usage = addUsage(usage, r.usage);
      const images = await Promise.all(results.flatMap((r) => r.images).map((image) => fetchUrl(image, hooks.signal)));
      const texts = results.map((r) => r.assistantText).filter((t): t is string => Boolean(t));
      return {
        images,
        responseIds: results.flatMap((r) => (r.responseId ? [r.responseId] : [])),
        callIds: results.flatMap((r) => r.callIds ?? []),
        assistantText: texts.length ? texts.join("\n\n") : null,
        usage,
        requestIds,
        retries,
        meta: results[0]?.meta ?? {},
        calls: bodies.length,
        failures: errors.map((e) => (e instanceof Error ? e.message : String(e))),
      };
    },
  };
}
