// The closed set of errors pixelwright throws, and the one boundary where they become MCP isError results.
// Every error class lives here; anything else that reaches the boundary is an internal error with an incident id.

import { randomBytes } from "node:crypto";
import type { CallToolResult } from "@modelcontextprotocol/server";
import type { Logger } from "./log.js";
import { redactText } from "./secrets.js";

export type ErrorKind = "input" | "upstream" | "configuration" | "busy" | "cancelled" | "internal";

export abstract class PixelwrightError extends Error {
  abstract readonly kind: ErrorKind;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The request cannot be served as given; the message says what to change. Nothing was sent upstream. */
export class InputError extends PixelwrightError {
  readonly kind = "input" as const;
  constructor(
    message: string,
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Bytes that should be an image are not one (or cannot be decoded within the limits). */
export class NotAnImageError extends InputError {}

/** A URL could not be downloaded under the guards (scheme, address, size, type, deadline). */
export class DownloadError extends InputError {}

export interface UpstreamDetails {
  status?: number;
  code?: string | null;
  requestId?: string | null;
  retryable: boolean;
  provider?: string;
  /** The request reached the provider and the outcome is unknown: an image may have been made and billed. */
  mayHaveBeenBilled?: boolean;
}

/** The upstream API answered with an error, or could not be reached. */
export class UpstreamError extends PixelwrightError {
  readonly kind = "upstream" as const;
  constructor(
    message: string,
    readonly details: UpstreamDetails,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A job failed after its request was sent: the failed result (attempts, request ids, record) travels with it. */
export class JobFailedError extends UpstreamError {
  constructor(
    message: string,
    details: UpstreamDetails,
    readonly result: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, details, options);
  }
}

/**
 * Refused because of money before it was sent: a request (the spend cap, a declined confirmation: nothing was sent),
 * or one later step of a job (a retry, auto's master: that step was not sent; the job's result says what was).
 */
export class SpendRefusedError extends PixelwrightError {
  readonly kind = "input" as const;
}

/** The server is misconfigured (bad environment variable or flag). */
export class ConfigError extends PixelwrightError {
  readonly kind = "configuration" as const;
}

/**
 * A folder or file pixelwright keeps cannot be used (the workspace, its `.pixelwright/` folder, the job book's
 * database): the message names it and says what to do. Nothing was sent.
 */
export class WorkspaceError extends ConfigError {}

/** Too much work queued; the caller should retry later. */
export class BusyError extends PixelwrightError {
  readonly kind = "busy" as const;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Work was stopped on purpose (a cancel, a shutdown) before it finished. */
export class AbortedError extends PixelwrightError {
  readonly kind = "cancelled" as const;
  constructor(reason = "the request was cancelled", options?: { cause?: unknown }) {
    super(reason, options);
  }
}

/** Something that should not happen did: logged in full with an incident id, shown to the caller by that id only. */
export class InternalError extends PixelwrightError {
  readonly kind = "internal" as const;
  readonly incidentId: string;
  constructor(message: string, options?: { cause?: unknown; incidentId?: string }) {
    super(message, options);
    this.incidentId = options?.incidentId ?? `inc_${randomBytes(6).toString("hex")}`;
  }
}

/**
 * A request needs the client's answer before it can go on (a spend confirmation, the client's roots): the call
 * answers with an input-required result carrying `request` under `key`, and runs again with the answer. Never shown
 * as an error; nothing was sent.
 */
export class InputNeeded extends PixelwrightError {
  readonly kind = "input" as const;
  constructor(
    readonly key: string,
    readonly request: { method: string; params?: Record<string, unknown> },
    message: string,
  ) {
    super(message);
  }
}

/** Any thrown value as a PixelwrightError: typed errors pass through; anything else becomes an InternalError. */
export function asPixelwrightError(err: unknown): PixelwrightError {
  if (err instanceof PixelwrightError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new InternalError(redactText(message), { cause: err });
}

/** The first words of a configuration error's sentence: the CLI exits 2 on it (set-up to fix, nothing was sent). */
export const CONFIGURATION_PREFIX = "Server configuration error: ";

function sentence(err: PixelwrightError): string {
  if (err instanceof InputError) return `Invalid request: ${err.message}`;
  if (err instanceof UpstreamError) {
    const rid = err.details.requestId ? ` (request id ${err.details.requestId})` : "";
    const who = err.details.provider ? `${err.details.provider} ` : "";
    return `The ${who}image API failed${rid}: ${err.message}`;
  }
  if (err instanceof SpendRefusedError) return `Not sent: ${err.message}`;
  if (err instanceof ConfigError) return `${CONFIGURATION_PREFIX}${err.message}`;
  if (err instanceof BusyError) return `Busy: ${err.message} Retry after ${err.retryAfterSeconds} s.`;
  if (err instanceof AbortedError) return `Cancelled: ${err.message}`;
  const id = err instanceof InternalError ? err.incidentId : "unknown";
  return `Internal error in pixelwright (incident ${id}); the details are in the server log under that id. Retry, or report the id if it persists.`;
}

/** The only place an error becomes tool-result text: one sentence, no stack, no secret. */
export function toToolError(err: unknown, logger?: Logger): CallToolResult {
  const typed = asPixelwrightError(err);
  if (typed instanceof InternalError) {
    logger?.error({ err: typed.cause ?? typed, incident: typed.incidentId }, "unexpected error in a tool");
  } else {
    // The reason under its own key: a second `msg` would hide it (JSON readers keep the last key).
    logger?.info({ kind: typed.kind, type: typed.name, reason: redactText(typed.message) }, "tool refused or failed");
  }
  return { isError: true, content: [{ type: "text", text: redactText(sentence(typed)) }] };
}

export function errorMessage(err: unknown): string {
  return redactText(err instanceof Error ? err.message : String(err));
}
