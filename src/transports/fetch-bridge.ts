// The SDK's HTTP entry (createMcpHandler) speaks web-standard Request/Response; node:http speaks IncomingMessage and
// ServerResponse. This bridge carries one already-read request across and streams the answer back (SSE included),
// and aborts the request when the client hangs up, so a cancelled HTTP call cancels its handler. Written here rather
// than taken from @modelcontextprotocol/node, which brings a web framework (hono) for these few lines.

import type { IncomingMessage, ServerResponse } from "node:http";

export type FetchHandler = (request: Request, options?: { parsedBody?: unknown }) => Promise<Response>;

function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  return headers;
}

/** Serves one node:http request whose body was already read (`body`, parsed as `parsed`) through a fetch handler. */
export async function bridge(
  handler: FetchHandler,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  parsed: unknown,
): Promise<void> {
  const aborter = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) aborter.abort();
  });
  const request = new Request(new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`), {
    method: req.method ?? "POST",
    headers: headersOf(req),
    body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
    signal: aborter.signal,
  });
  const response = await handler(request, { parsedBody: parsed });
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    headers[name] = name === "set-cookie" ? response.headers.getSetCookie() : value;
  });
  if (!response.body) {
    res.writeHead(response.status, headers).end();
    return;
  }
  if (!response.headers.get("content-type")?.startsWith("text/event-stream")) {
    // A JSON answer is short: one write with its length.
    const bytes = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, { ...headers, "content-length": String(bytes.byteLength) }).end(bytes);
    return;
  }
  res.writeHead(response.status, headers);
  await streamOut(response.body, res);
}

/**
 * An event stream goes out event by event: progress must not wait for the result. A chunk is held back for one turn
 * of the event loop so that the last one leaves with the end of the response in one write.
 */
async function streamOut(body: ReadableStream<Uint8Array>, res: ServerResponse): Promise<void> {
  const reader = body.getReader();
  let held: Uint8Array | undefined;
  try {
    for (;;) {
      const next = reader.read();
      if (held) {
        const turn = new Promise<null>((resolve) => setImmediate(resolve, null));
        if ((await Promise.race([next, turn])) === null) {
          res.write(held);
          held = undefined;
        }
      }
      const { done, value } = await next;
      if (done || res.destroyed) break;
      if (held) res.write(held);
      held = value;
    }
  } finally {
    res.end(held);
    reader.releaseLock();
  }
}
