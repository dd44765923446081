// Server-sent events as the OpenAI APIs send them: `event: <type>` and one `data:` line of JSON per event; and as
// other providers do, by the wire's variants: CR or CRLF line endings with keep-alive comments and a ping event, a
// closing `data: [DONE]`, gzip, and a stream cut at a given event (ended there, or stalled halfway through it).

import { createGzip } from "node:zlib";
import type { Exchange } from "./context.js";
import { untilAborted } from "./http.js";
import { answerHeaders, jsonText, type Wire } from "./wire.js";

export interface SseWriter {
  /** Sends one event; false when the wire cuts the stream at it (the stream has ended, or stalled until the client left). */
  send(event: string, data: object): Promise<boolean>;
  end(): void;
}

interface Sink {
  write(text: string): void;
  end(): void;
}

/** The response body, or a gzip stream into it flushed after every write, so each event arrives when it is sent. */
function sinkFor(ex: Exchange, wire: Wire): Sink {
  if (!wire.gzip) return { write: (text) => void ex.res.write(text), end: () => ex.res.end() };
  const gzip = createGzip();
  gzip.pipe(ex.res);
  ex.signal.addEventListener("abort", () => gzip.destroy(), { once: true });
  return {
    write: (text) => {
      gzip.write(text);
      gzip.flush();
    },
    end: () => gzip.end(),
  };
}

/** Opens a 200 event stream; `cutAt` names the event where the wire's cut (truncate, stall_mid_stream) happens. */
export function openSse(ex: Exchange, wire: Wire, cutAt?: string): SseWriter {
  ex.res.writeHead(200, answerHeaders(wire, true));
  const sink = sinkFor(ex, wire);
  const { eol } = wire;
  const comment = wire.keepAlive ? `: keep-alive${eol}` : "";
  const frame = (event: string, data: object) =>
    `${comment}event: ${event}${eol}data: ${jsonText(data, wire)}${eol}${eol}`;
  if (wire.keepAlive) sink.write(`${comment}${eol}${frame("ping", { type: "ping" })}`);
  return {
    async send(event, data) {
      const text = frame(event, data);
      if (event !== cutAt || wire.cut === null) {
        sink.write(text);
        return true;
      }
      if (wire.cut === "end") {
        sink.end();
        return false;
      }
      sink.write(text.slice(0, Math.floor(text.length / 2)));
      await untilAborted(ex.signal);
      return false;
    },
    end() {
      if (wire.done) sink.write(`data: [DONE]${eol}${eol}`);
      sink.end();
    },
  };
}
