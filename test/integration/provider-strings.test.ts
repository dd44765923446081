import type { ServerResponse } from "node:http";
import type { CallToolResult } from "@modelcontextprotocol/client";
import { afterEach, describe, expect, it } from "vitest";
import { clearSecrets } from "../../src/secrets.js";
import { memoryLog } from "../helpers/memory-log.js";
import { HEADERS, okJson, png, scriptedSessions } from "../helpers/scripted-provider.js";
import { storedText } from "../helpers/stored.js";

const OPENAI_KEY = "sk-proj-Pr0v1derStr1ngsK3yAbCdEfGhIjKlMnOpQr";
/** A gateway's key has no known shape: only the registered secret and its fragments can catch it. */
const GATEWAY_KEY = "gw7Xq2Lm9Rt4Vb8Nc1Zp6Kd3Hs5Fj0Wy";
const b64 = (s: string) => Buffer.from(s).toString("base64");
const percent = (s: string) => [...s].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join("");

/** Every way the key could show: 8-character pieces of it, of its base64 (any alignment), its percent-encoding. */
function leaks(text: string, key: string): string[] {
  const found: string[] = [];
  const windows = (s: string, n: number) => Array.from({ length: s.length - n + 1 }, (_, i) => s.slice(i, i + n));
  for (const piece of windows(key, 8)) if (text.includes(piece)) found.push(piece);
  for (const shift of [0, 1, 2]) {
    const encoded = b64(key.slice(shift));
    for (const piece of windows(encoded.slice(0, encoded.length - 4), 12)) if (text.includes(piece)) found.push(piece);
  }
  if (text.includes(percent(key).slice(0, 24))) found.push("percent-encoded key");
  return found;
}

const sessions = scriptedSessions();
afterEach(() => clearSecrets());

type Reply = (res: ServerResponse, n: number) => void;

/** The real server against a scripted provider, the key configured; one generate_image call with `extra` arguments. */
async function session(
  key: string,
  reply: Reply,
  options: { maxRetries?: number; extra?: Record<string, unknown> } = {},
) {
  const log = memoryLog();
  const { p, s } = await sessions.setUp(reply, { apiKey: key, maxRetries: options.maxRetries ?? 0 }, log.logger);
  const args = { prompt: "a lighthouse", size: "1024x1024", return_image: "none", ...options.extra };
  const result = (await s.call("generate_image", args)) as CallToolResult;
  return { provider: p, result, workspace: s.workspace, log: log.text };
}

function everything(s: { result: CallToolResult; workspace: string; log: () => string }) {
  const stored = storedText(s.workspace);
  return { result: JSON.stringify(s.result), stored, log: s.log() };
}

const refusal =
  (status: number, error: unknown): Reply =>
  (res) => {
    res.writeHead(status, HEADERS("req_1"));
    res.end(JSON.stringify({ error }));
  };

/** What the provider sends, and a word of its message that must still be shown (the reason, without the key). */
const CASES: Array<[string, (key: string) => Reply, string]> = [
  ["the key as the error code", (k) => refusal(400, { message: "bad request", code: k }), "bad request"],
  ["bad_<key> as the error code", (k) => refusal(400, { message: "bad request", code: `bad_${k}` }), "bad_"],
  ["the key as the error type", (k) => refusal(400, { message: "bad request", type: k }), "bad request"],
  ["the key as the error param", (k) => refusal(400, { message: "bad request", param: k }), "bad request"],
  ["the key nested in a message that is an object", (k) => refusal(400, { message: { detail: k } }), "detail"],
  ["the key nested in an error without a message", (k) => refusal(400, { details: [{ echo: k }] }), "echo"],
  ["a base64 copy of the key in the message", (k) => refusal(400, { message: `auth ${b64(`Bearer ${k}`)}` }), "auth"],
  ["a percent-encoded copy of the key in the message", (k) => refusal(400, { message: `auth ${percent(k)}` }), "auth"],
  ["the key as the code of an error inside a 200", (k) => refusal(200, { message: "denied", code: k }), "denied"],
  ["a base64 copy of the key as the code inside a 200", (k) => refusal(200, { message: "no", code: b64(k) }), "no"],
];

const KEYS: Array<[string, string]> = [
  ["an OpenAI-shaped key", OPENAI_KEY],
  ["a gateway key of no known shape", GATEWAY_KEY],
];

describe.each(KEYS)("a provider that puts %s into its error", (_kind, key) => {
  it.each(CASES)("%s: the reason is shown, the key nowhere", async (_name, reply, shown) => {
    const s = await session(key, reply(key));
    const structured = s.result.structuredContent as { status: string; message: string };
    expect(structured.status).toBe("failed");
    expect(structured.message).toContain(shown);
    const seen = everything(s);
    expect(seen.result).not.toMatch(/charCodeAt|Internal error/);
    expect(leaks(seen.result, key)).toEqual([]);
    expect(leaks(seen.stored, key)).toEqual([]);
    expect(leaks(seen.log, key)).toEqual([]);
  });

  it("keeps the key out of every retry record when a retried answer carries it", async () => {
    const image = await png();
    const s = await session(
      key,
      (res, n) => {
        if (n === 0) return refusal(500, { message: "upstream busy", code: `overloaded_${key}` })(res, n);
        res.writeHead(200, HEADERS("req_2"));
        res.end(okJson(image));
      },
      { maxRetries: 1 },
    );
    const structured = s.result.structuredContent as { status: string; retries: { reason: string }[] };
    expect(structured.status).toBe("completed");
    expect(structured.retries[0]?.reason).toContain("[redacted]");
    const seen = everything(s);
    expect(leaks(seen.result, key)).toEqual([]);
    expect(leaks(seen.stored, key)).toEqual([]);
    expect(leaks(seen.log, key)).toEqual([]);
  });

  it("keeps the key out of the failed result and jobs.jsonl when every attempt echoes it", async () => {
    const s = await session(key, refusal(503, { message: `down for ${key}`, code: `unavailable_${key}` }), {
      maxRetries: 2,
    });
    expect(s.provider.calls).toBe(3);
    const structured = s.result.structuredContent as { message: string; retries: unknown[] };
    expect(structured.retries).toHaveLength(2);
    const seen = everything(s);
    expect(seen.stored).toContain('"status":"failed"');
    expect(leaks(seen.result, key)).toEqual([]);
    expect(leaks(seen.stored, key)).toEqual([]);
    expect(leaks(seen.log, key)).toEqual([]);
  });

  it("keeps the key out of everything when a stream's error event carries it", async () => {
    const event = JSON.stringify({ type: "error", error: { code: key, message: b64(key) } });
    const s = await session(
      key,
      (res) => {
        res.writeHead(200, HEADERS("req_s", "text/event-stream"));
        res.end(`event: error\ndata: ${event}\n\n`);
      },
      { extra: { partial_images: 1 } },
    );
    expect((s.result.structuredContent as { status: string }).status).toBe("failed");
    const seen = everything(s);
    expect(leaks(seen.result, key)).toEqual([]);
    expect(leaks(seen.stored, key)).toEqual([]);
    expect(leaks(seen.log, key)).toEqual([]);
  });

  it("keeps encoded copies out of a Responses answer's assistant text, its sidecar and the log", async () => {
    const image = await png();
    const answer = (res: ServerResponse) => {
      res.writeHead(200, HEADERS("req_r"));
      res.end(
        JSON.stringify({
          id: "resp_1",
          output: [
            { type: "image_generation_call", id: "ig_1", status: "completed", result: image.toString("base64") },
            {
              type: "message",
              content: [{ type: "output_text", text: `Done. Token: ${b64(`Bearer ${key}`)} or ${percent(key)}` }],
            },
          ],
          usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2, note: key },
        }),
      );
    };
    const s = await session(key, answer, { extra: { route: "responses" } });
    const structured = s.result.structuredContent as { status: string; assistant_text: string };
    expect(structured.status).toBe("completed");
    expect(structured.assistant_text).toContain("[redacted]");
    const seen = everything(s);
    expect(leaks(seen.result, key)).toEqual([]);
    expect(leaks(seen.stored, key)).toEqual([]);
    expect(leaks(seen.log, key)).toEqual([]);
  });
});

describe("a provider whose error message is not a string", () => {
  it("is shown as text, not as 'charCodeAt is not a function'", async () => {
    const s = await session(GATEWAY_KEY, refusal(400, { message: 404_404, code: "odd" }));
    const text = JSON.stringify(s.result);
    expect(text).not.toMatch(/charCodeAt|Internal error/);
    expect(text).toContain("404404");
  });
});
