// Typed errors thrown by the core, and the one boundary where they become MCP isError results.

import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "./log.js";
import { redactText } from "./secrets.js";

export abstract class PixelwrightError extends Error {
  abstract readonly kind: "input" | "upstream" | "configuration" | "busy" | "internal";
}

/** The request cannot be served as given; the message says what to change. Nothing was sent upstream. */
export class InputError extends PixelwrightError {
  readonly kind = "input" as const;
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "InputError";
  }
}

/** The upstream API answered with an error, or could not be reached. */
export class UpstreamError extends PixelwrightError {
  readonly kind = "upstream" as const;
  constructor(
    message: string,
    readonly details: {
      status?: number;
      code?: string | null;
      requestId?: string | null;
      retryable: boolean;
      provider?: string;
    },
  ) {
    super(message);
    this.name = "UpstreamError";
  }
}

/** The server is misconfigured (bad environment variable or flag). */
export class ConfigError extends PixelwrightError {
  readonly kind = "configuration" as const;
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Too much work queued; the caller should retry later. */
export class BusyError extends PixelwrightError {
  readonly kind = "busy" as const;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = "BusyError";
  }
}

function sentence(err: unknown): string {
  if (err instanceof InputError) return `Invalid request: ${err.message}`;
  if (err instanceof UpstreamError) {
    const rid = err.details.requestId ? ` (request id ${err.details.requestId})` : "";
    const who = err.details.provider ? `${err.details.provider} ` : "";
    return `The ${who}image API failed${rid}: ${err.message}`;
  }
  if (err instanceof ConfigError) return `Server configuration error: ${err.message}`;
  if (err instanceof BusyError) return `Busy: ${err.message} Retry after ${err.retryAfterSeconds} s.`;
  return "Internal error in pixelwright; the details are in the server log. Retry, or report it if it persists.";
}

/** The only place an error becomes tool-result text: one sentence, no stack, no secret. */
export function toToolError(err: unknown, logger?: Logger): CallToolResult {
  if (!(err instanceof PixelwrightError)) logger?.error({ err }, "unexpected error in a tool");
  else logger?.info({ kind: err.kind, msg: redactText(err.message) }, "tool refused or failed");
  return { isError: true, content: [{ type: "text", text: redactText(sentence(err)) }] };
}

export function errorMessage(err: unknown): string {
  return redactText(err instanceof Error ? err.message : String(err));
}
