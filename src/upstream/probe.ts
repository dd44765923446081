// A free look at an endpoint for `pixelwright doctor`: GET /models through the SDK (the same base URL, key,
// organization and project headers a generation would use). No image is generated; nothing is billed.

import type { Logger } from "../log.js";
import { redactText } from "../secrets.js";
import { getClient } from "./client.js";
import type { Endpoint } from "./types.js";

export type ModelsProbe =
  /** An OpenAI-shaped model list. */
  | { kind: "listed"; models: string[] }
  /** The base URL answered a web page: usually a base URL without /v1, or a login/proxy page. */
  | { kind: "html"; status: number }
  /** Something that is neither JSON nor HTML, or JSON without a `data` list. */
  | { kind: "not-openai"; status: number; contentType: string }
  /** 401: the key was refused. */
  | { kind: "key-refused"; message: string }
  /** 403: the key is known but may not list models (or the organization/project header is wrong). */
  | { kind: "forbidden"; message: string }
  /** 404 in OpenAI's JSON shape: the server speaks the API but does not list models (common on gateways). */
  | { kind: "no-model-list"; message: string }
  | { kind: "http-error"; status: number; message: string }
  | { kind: "unreachable"; message: string };

interface SdkError {
  status?: number;
  headers?: Headers;
  error?: unknown;
  message?: string;
  name?: string;
}

/** The innermost reason of a connection error ("ECONNREFUSED", "getaddrinfo ENOTFOUND host"). */
function rootCause(err: unknown): string {
  let at = err as { cause?: unknown; code?: string; message?: string } | undefined;
  let reason = "";
  for (let depth = 0; at && depth < 5; depth++, at = at.cause as typeof at) {
    if (at.code || at.message)
      reason = at.code && !at.message?.includes(at.code) ? `${at.code}: ${at.message}` : String(at.message);
  }
  return reason;
}

function classifyError(err: SdkError): ModelsProbe {
  const cause = err.status === undefined ? rootCause(err) : "";
  const text = cause && cause !== err.message ? `${err.message} (${cause})` : String(err.message ?? err);
  const message = redactText(text.slice(0, 300));
  const contentType = err.headers?.get?.("content-type") ?? "";
  if (err.status === undefined) return { kind: "unreachable", message };
  if (/html/i.test(contentType)) return { kind: "html", status: err.status };
  if (err.status === 401) return { kind: "key-refused", message };
  if (err.status === 403) return { kind: "forbidden", message };
  if (err.status === 404 && err.error !== undefined) return { kind: "no-model-list", message };
  if (err.error === undefined && !/json/i.test(contentType))
    return { kind: "not-openai", status: err.status, contentType: contentType || "none" };
  return { kind: "http-error", status: err.status, message };
}

/** GET {baseURL}/models once, no retries, within timeoutMs. */
export async function probeModels(endpoint: Endpoint, logger: Logger, timeoutMs = 10_000): Promise<ModelsProbe> {
  const client = await getClient({ ...endpoint, timeoutMs }, logger);
  let response: Response;
  try {
    response = await client.models.list().asResponse();
  } catch (err) {
    return classifyError(err as SdkError);
  }
  const contentType = response.headers.get("content-type") ?? "";
  const text = await response.text().catch(() => "");
  if (/html/i.test(contentType) || /^\s*<(!doctype|html)/i.test(text)) return { kind: "html", status: response.status };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { kind: "not-openai", status: response.status, contentType: contentType || "none" };
  }
  const data = (body as { data?: unknown }).data;
  if (!Array.isArray(data)) return { kind: "not-openai", status: response.status, contentType };
  const models = data.flatMap((m) =>
    typeof (m as { id?: unknown }).id === "string" ? [(m as { id: string }).id] : [],
  );
  return { kind: "listed", models };
}
