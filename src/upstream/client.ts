// One openai SDK client per endpoint, built lazily (the SDK is heavy) and with the SDK's own retries off:
// retries happen in retry.ts so that every one is recorded with its reason.

import type OpenAI from "openai";
import type { Logger } from "../log.js";
import type { Endpoint } from "./types.js";

const clients = new Map<string, Promise<OpenAI>>();

export function getClient(endpoint: Endpoint, logger: Logger): Promise<OpenAI> {
  const key = JSON.stringify([
    endpoint.baseURL,
    endpoint.apiKey,
    endpoint.organization,
    endpoint.project,
    endpoint.timeoutMs,
  ]);
  let client = clients.get(key);
  if (!client) {
    client = import("openai").then(
      ({ default: OpenAIClient }) =>
        new OpenAIClient({
          apiKey: endpoint.apiKey,
          baseURL: endpoint.baseURL ?? null,
          organization: endpoint.organization ?? null,
          project: endpoint.project ?? null,
          timeout: endpoint.timeoutMs,
          maxRetries: 0,
          // The SDK logs to console by default; in stdio mode only stderr is safe.
          logger: {
            error: (msg, ...rest) => logger.error({ rest }, `openai: ${msg}`),
            warn: (msg, ...rest) => logger.warn({ rest }, `openai: ${msg}`),
            info: (msg, ...rest) => logger.debug({ rest }, `openai: ${msg}`),
            debug: (msg, ...rest) => logger.trace({ rest }, `openai: ${msg}`),
          },
          logLevel: "warn",
        }),
    );
    clients.set(key, client);
  }
  return client;
}
