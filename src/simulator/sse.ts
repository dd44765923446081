// Server-sent events as the OpenAI APIs send them: `event: <type>` and one `data:` line of JSON per event.

import type { ServerResponse } from "node:http";

export interface SseWriter {
  send(event: string, data: object): void;
  end(): void;
}

export function openSse(res: ServerResponse): SseWriter {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  return {
    send: (event, data) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
    end: () => res.end(),
  };
}
