// The simulator's provider variants, checked on the wire: the exact bytes and headers it sends, read with node:http
// (which, unlike fetch, neither decompresses nor parses), so nothing of pixelwright's own reading is involved.

import { type IncomingHttpHeaders, request } from "node:http";
import { gunzipSync } from "node:zlib";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Fault } from "../../src/simulator/knobs.js";
import {
  type Simulator,
  type SimulatorOptions,
  simulatorOptionsFromEnv,
  startSimulator,
} from "../../src/simulator/server.js";

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ apiKey: "sim-key" });
});
afterAll(async () => sim.close());
beforeEach(() => sim.reset());

type Json = Record<string, unknown>;

/** The two surfaces, each with a request body and where its base64 images sit in an answer and an event. */
const SURFACES = {
  images: {
    path: "/v1/images/generations",
    body: (prompt: string, stream: boolean, partials = 0): Json => ({
      model: "gpt-image-2",
      prompt,
      size: "1024x1024",
      quality: "low",
      ...(stream ? { stream: true, partial_images: partials } : {}),
    }),
    b64OfAnswer: (a: Json) => (a.data as Json[]).map((d) => d.b64_json as string),
    b64OfEvent: (e: Json) => (typeof e.b64_json === "string" ? [e.b64_json] : []),
    lastEvent: "image_generation.completed",
  },
  responses: {
    path: "/v1/responses",
    body: (prompt: string, stream: boolean, partials = 0): Json => ({
      model: "gpt-5",
      input: prompt,
      tools: [
        {
          type: "image_generation",
          size: "1024x1024",
          quality: "low",
          ...(stream ? { partial_images: partials } : {}),
        },
      ],
      ...(stream ? { stream: true } : {}),
    }),
    b64OfAnswer: (a: Json) => (a.output as Json[]).flatMap((o) => (typeof o.result === "string" ? [o.result] : [])),
    b64OfEvent: (e: Json) =>
      [e.partial_image_b64, (e.item as Json | undefined)?.result].filter((s): s is string => typeof s === "string"),
    lastEvent: "response.completed",
  },
} as const;
type Surface = keyof typeof SURFACES;
const BOTH: Surface[] = ["images", "responses"];

interface Exchange {
  status: number;
  headers: IncomingHttpHeaders;
  /** Every byte received so far, exactly as sent. */
  bytes(): Buffer;
  /** Resolves when the received bytes satisfy the test (or rejects when the answer ends first). */
  until(test: (bytes: Buffer) => boolean): Promise<Buffer>;
  /** The whole body, when the server ends it. */
  done: Promise<Buffer>;
  /** The client goes away. */
  leave(): void;
}

/** POST a JSON body with node:http; resolves once the status and headers are in. */
function post(path: string, body: Json, headers: Record<string, string> = {}): Promise<Exchange> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(`${sim.url}${path}`, {
      method: "POST",
      headers: { authorization: "Bearer sim-key", "content-type": "application/json", ...headers },
    });
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      const waiters: Array<() => void> = [];
      const bytes = () => Buffer.concat(chunks);
      const done = new Promise<Buffer>((ok, fail) => {
        res.on("end", () => ok(bytes()));
        res.on("error", fail);
      });
      // A client that leaves on purpose sees the body fail; only tests that wait for the end look at it.
      done.catch(() => undefined);
      res.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        for (const wake of waiters.splice(0)) wake();
      });
      const until = async (test: (b: Buffer) => boolean) => {
        while (!test(bytes())) {
          await Promise.race([new Promise<void>((wake) => waiters.push(wake)), done]);
          if (res.complete && !test(bytes())) throw new Error("the answer ended before the test held");
        }
        return bytes();
      };
      resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, until, done, leave: () => req.destroy() });
    });
    req.end(text);
  });
}

/** One request's whole answer. */
async function answer(surface: Surface, fault: Fault | null, stream: boolean, prompt = "variant", partials = 0) {
  const { path, body } = SURFACES[surface];
  const ex = await post(path, body(prompt, stream, partials), fault ? { "x-sim-fault": fault } : {});
  return { status: ex.status, headers: ex.headers, body: await ex.done };
}

/** Server-sent events as the spec reads them: any line ending, comments skipped, `data` lines joined. */
function parseSse(text: string): { event: string; data: string }[] {
  const events: { event: string; data: string }[] = [];
  let event = "";
  let data: string[] = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === "") {
      if (data.length > 0) events.push({ event: event || "message", data: data.join("\n") });
      event = "";
      data = [];
    } else if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  return events;
}

const jsonEvents = (text: string) => parseSse(text).filter((e) => e.data !== "[DONE]" && e.event !== "ping");

interface ControlAnswer {
  status: number;
  json: { queued_faults?: string[]; gateway?: { variants?: string[] }; error?: { message: string } };
}

/** POST /_sim/control. */
async function steer(body: Json): Promise<ControlAnswer> {
  const res = await fetch(`${sim.url}/_sim/control`, { method: "POST", body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as ControlAnswer["json"] };
}

/** Runs fn with `sim` (which post() talks to) replaced by a simulator started with these options. */
async function onAnother(options: SimulatorOptions, fn: () => Promise<void>): Promise<void> {
  const saved = sim;
  sim = await startSimulator(options);
  try {
    await fn();
  } finally {
    await sim.close();
    sim = saved;
  }
}

/** The request record the simulator keeps, once the simulator has finished with it. */
async function settled(index = 0) {
  await expect.poll(() => sim.stats.inFlight, { timeout: 30_000 }).toBe(0);
  return sim.stats.requests[index];
}

describe("SSE dialects", () => {
  it.each(BOTH)("sse_done: the %s stream ends with data: [DONE] after the completed event", async (surface) => {
    const { body } = await answer(surface, "sse_done", true);
    const text = body.toString("utf8");
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    const events = parseSse(text);
    expect(events.at(-1)?.data).toBe("[DONE]");
    expect(events.at(-2)?.event).toBe(SURFACES[surface].lastEvent);
  });

  it.each(BOTH.flatMap((s) => [[s, "sse_cr", "\r"] as const, [s, "sse_crlf", "\r\n"] as const]))(
    "%s %s: every line ends with the variant's ending, with keep-alive comments and a ping event",
    async (surface, fault, eol) => {
      const plain = jsonEvents((await answer(surface, null, true, "eol", 1)).body.toString("utf8"));
      const text = (await answer(surface, fault, true, "eol", 1)).body.toString("utf8");
      expect(text.split(eol).join("")).not.toMatch(/[\r\n]/);
      expect(text.startsWith(`: keep-alive${eol}${eol}`)).toBe(true);
      expect(text).toContain(`: keep-alive${eol}event: ping${eol}data: {"type":"ping"}${eol}${eol}`);
      expect(text.split(`: keep-alive${eol}`).length - 1).toBeGreaterThan(plain.length);
      // The same events as the plain stream, in the same order.
      expect(jsonEvents(text).map((e) => e.event)).toEqual(plain.map((e) => e.event));
    },
  );

  it.each(BOTH)("a plain %s stream has LF endings, no comments, no ping and no [DONE]", async (surface) => {
    const text = (await answer(surface, null, true, "plain", 1)).body.toString("utf8");
    expect(text).not.toContain("\r");
    expect(text).not.toContain(": keep-alive");
    expect(text).not.toContain("ping");
    expect(text).not.toContain("[DONE]");
  });

  it.each(BOTH.flatMap((s) => (["sse_done", "sse_cr", "sse_crlf"] as const).map((f) => [s, f] as const)))(
    "%s %s leaves a JSON answer as it is",
    async (surface, fault) => {
      const { headers, body } = await answer(surface, fault, false);
      expect(headers["content-type"]).toBe("application/json");
      expect(Number(headers["content-length"])).toBe(body.length);
      expect(SURFACES[surface].b64OfAnswer(JSON.parse(body.toString("utf8")))).toHaveLength(1);
    },
  );
});

/** A prompt whose image's base64 ends in padding (about two in three do), so removing it is visible. */
async function paddedPrompt(): Promise<string> {
  for (let i = 0; ; i++) {
    const { body } = await answer("images", null, false, `padding ${i}`);
    if (SURFACES.images.b64OfAnswer(JSON.parse(body.toString("utf8")))[0]?.endsWith("=")) return `padding ${i}`;
  }
}

describe("base64 dialects", () => {
  let prompt = "";
  beforeAll(async () => {
    prompt = await paddedPrompt();
  });

  it.each(BOTH)("b64_unpadded: the %s JSON answer carries the same base64 without = padding", async (surface) => {
    const { b64OfAnswer } = SURFACES[surface];
    const plain = b64OfAnswer(JSON.parse((await answer(surface, null, false, prompt)).body.toString("utf8")));
    const text = (await answer(surface, "b64_unpadded", false, prompt)).body.toString("utf8");
    expect(plain[0]).toMatch(/=$/);
    expect(b64OfAnswer(JSON.parse(text))).toEqual(plain.map((b) => b.replace(/=+$/, "")));
  });

  it.each(BOTH)("b64_unpadded: no base64 in the %s stream, partial or final, ends with =", async (surface) => {
    const text = (await answer(surface, "b64_unpadded", true, prompt, 2)).body.toString("utf8");
    const b64 = jsonEvents(text).flatMap((e) => SURFACES[surface].b64OfEvent(JSON.parse(e.data)));
    expect(b64.length).toBeGreaterThanOrEqual(3);
    for (const s of b64) expect(s).toMatch(/^[A-Za-z0-9+/]+$/);
  });

  it.each(BOTH)(
    "b64_escaped: the %s JSON answer escapes every + / = as \\u002B \\u002F \\u003D and parses to the same answer",
    async (surface) => {
      const { b64OfAnswer } = SURFACES[surface];
      const plain = JSON.parse((await answer(surface, null, false, prompt)).body.toString("utf8")) as Json;
      const text = (await answer(surface, "b64_escaped", false, prompt)).body.toString("utf8");
      const b64Text = text.slice(text.indexOf(surface === "images" ? '"b64_json":"' : '"result":"'));
      expect(b64Text).toContain("\\u002B");
      expect(b64Text).toContain("\\u002F");
      expect(text).toContain("\\u003D");
      expect(text).not.toMatch(/[+/=]/);
      // Other strings get an escape too: `"quality":"\u006Cow"`.
      expect(text).toContain('"quality":"\\u006Cow"');
      const escaped = JSON.parse(text) as Json;
      expect(b64OfAnswer(escaped)).toEqual(b64OfAnswer(plain));
      expect(escaped.usage).toEqual(plain.usage);
    },
  );

  it.each(BOTH)("b64_escaped: the %s stream's events are escaped the same way", async (surface) => {
    const plain = jsonEvents((await answer(surface, null, true, prompt, 1)).body.toString("utf8"));
    const text = (await answer(surface, "b64_escaped", true, prompt, 1)).body.toString("utf8");
    const events = jsonEvents(text);
    expect(events.map((e) => e.event)).toEqual(plain.map((e) => e.event));
    for (const e of events) expect(e.data).not.toMatch(/[+/=]/);
    const b64 = (list: typeof events) => list.flatMap((e) => SURFACES[surface].b64OfEvent(JSON.parse(e.data)));
    expect(b64(events)).toEqual(b64(plain));
  });
});

describe("errors in a 200", () => {
  it.each<[Surface, Fault, string, string]>([
    ["images", "error_in_200", "insufficient_quota", "insufficient_quota"],
    ["responses", "error_in_200", "insufficient_quota", "insufficient_quota"],
    ["images", "error_in_200_server", "server_error", "upstream_unavailable"],
  ])(
    "%s %s: HTTP 200 with {error: {message, type %s, code %s}} as the whole body",
    async (surface, fault, type, code) => {
      const { status, headers, body } = await answer(surface, fault, false);
      expect(status).toBe(200);
      expect(headers["content-type"]).toBe("application/json");
      const parsed = JSON.parse(body.toString("utf8"));
      expect(Object.keys(parsed)).toEqual(["error"]);
      expect(parsed.error).toEqual({ message: expect.stringMatching(/\.$/), type, code });
      if (code === "insufficient_quota") expect(parsed.error.message).toMatch(/quota/);
    },
  );

  it.each(BOTH)("error_in_200 on a %s stream: 200, then one error event and the end", async (surface) => {
    const { status, headers, body } = await answer(surface, "error_in_200", true);
    expect(status).toBe(200);
    expect(headers["content-type"]).toBe("text/event-stream");
    const events = parseSse(body.toString("utf8"));
    expect(events).toHaveLength(1);
    expect(events[0]?.event).toBe("error");
    expect(JSON.parse(events[0]?.data ?? "").error.code).toBe("insufficient_quota");
  });
});

describe("gzip", () => {
  it.each(BOTH)("the %s JSON answer is gzip-encoded, and its length is the compressed length", async (surface) => {
    const plain = (await answer(surface, null, false, "gzip")).body;
    const { headers, body } = await answer(surface, "gzip", false, "gzip");
    expect(headers["content-encoding"]).toBe("gzip");
    expect(Number(headers["content-length"])).toBe(body.length);
    const unzipped = JSON.parse(gunzipSync(body).toString("utf8"));
    const { b64OfAnswer } = SURFACES[surface];
    expect(b64OfAnswer(unzipped)).toEqual(b64OfAnswer(JSON.parse(plain.toString("utf8"))));
  });

  it.each(BOTH)("the %s stream is one gzip stream holding the same events", async (surface) => {
    const plain = jsonEvents((await answer(surface, null, true, "gzip", 1)).body.toString("utf8"));
    const { headers, body } = await answer(surface, "gzip", true, "gzip", 1);
    expect(headers["content-encoding"]).toBe("gzip");
    expect(headers["content-type"]).toBe("text/event-stream");
    const events = jsonEvents(gunzipSync(body).toString("utf8"));
    expect(events.map((e) => e.event)).toEqual(plain.map((e) => e.event));
  });

  it("an edit (multipart) answer is gzip-encoded too", async () => {
    const form = new FormData();
    form.append("model", "gpt-image-2");
    form.append("prompt", "edit gzip");
    form.append("size", "1024x1024");
    form.append("image[]", new Blob([await (await answer("images", null, false)).body]), "ref.json");
    const multipart = new Request("http://simulator/", { method: "POST", body: form });
    const res = await fetch(`${sim.baseURL}/images/edits`, {
      method: "POST",
      headers: {
        authorization: "Bearer sim-key",
        "content-type": String(multipart.headers.get("content-type")),
        "x-sim-fault": "gzip",
        "accept-encoding": "identity",
      },
      body: Buffer.from(await multipart.arrayBuffer()),
    });
    expect(res.headers.get("content-encoding")).toBe("gzip");
    await res.arrayBuffer();
    await settled();
    expect(sim.stats.requests.at(-1)).toMatchObject({ path: "/v1/images/edits", fault: "gzip", status: 200 });
  });

  it("the openai SDK's fetch decompresses it", async () => {
    const client = new OpenAI({ apiKey: "sim-key", baseURL: sim.baseURL, maxRetries: 0 });
    const plain = await client.images.generate({ model: "gpt-image-2", prompt: "sdk gzip", size: "1024x1024" });
    sim.enqueueFaults("gzip");
    const zipped = await client.images.generate({ model: "gpt-image-2", prompt: "sdk gzip", size: "1024x1024" });
    expect(sim.stats.requests[1]?.fault).toBe("gzip");
    expect(zipped.data?.[0]?.b64_json).toBe(plain.data?.[0]?.b64_json);
  });
});

describe("stalls: the answer stops and the connection stays open until the client leaves", () => {
  it.each(BOTH.flatMap((s) => [[s, false] as const, [s, true] as const]))(
    "stall_after_headers (%s, stream %s): 200 and headers, no body byte, then aborted by the client",
    async (surface, stream) => {
      const { path, body } = SURFACES[surface];
      const ex = await post(path, body("stall", stream, 1), { "x-sim-fault": "stall_after_headers" });
      expect(ex.status).toBe(200);
      expect(ex.headers["content-type"]).toBe(stream ? "text/event-stream" : "application/json");
      expect(sim.stats.inFlight).toBe(1);
      ex.leave();
      const record = await settled();
      expect(ex.bytes().length).toBe(0);
      expect(record).toMatchObject({ fault: "stall_after_headers", status: 200, aborted: true });
    },
  );

  it.each(BOTH)("stall_mid_stream (%s JSON): half of the promised length, then nothing", async (surface) => {
    const { path, body } = SURFACES[surface];
    const ex = await post(path, body("stall", false), { "x-sim-fault": "stall_mid_stream" });
    const promised = Number(ex.headers["content-length"]);
    await ex.until((b) => b.length >= Math.floor(promised / 2));
    ex.leave();
    const record = await settled();
    expect(ex.bytes().length).toBe(Math.floor(promised / 2));
    expect(record).toMatchObject({ status: 200, aborted: true });
  });

  it.each(BOTH)(
    "stall_mid_stream (%s SSE): the partial images, then half of the next event, then nothing",
    async (surface) => {
      const { path, body } = SURFACES[surface];
      const ex = await post(path, body("stall", true, 2), { "x-sim-fault": "stall_mid_stream" });
      const cut = surface === "images" ? "image_generation.completed" : "response.image_generation_call.completed";
      await ex.until((b) => b.toString("utf8").includes(`event: ${cut}\ndata: {`));
      ex.leave();
      const record = await settled();
      const text = ex.bytes().toString("utf8");
      const complete = text.slice(0, text.lastIndexOf("\n\n") + 2);
      const partials = jsonEvents(complete).filter((e) => e.event.endsWith("partial_image"));
      expect(partials).toHaveLength(2);
      expect(text.slice(complete.length)).toMatch(new RegExp(`^event: ${cut.replace(/\./g, "\\.")}\ndata: \\{`));
      expect(record).toMatchObject({ status: 200, aborted: true });
    },
  );
});

describe("selecting a variant", () => {
  const b64Padded = (body: Buffer) => /"b64_json":"[^"]*="/.test(body.toString("utf8"));

  it("a queued fault (PIXELWRIGHT_SIM_FAULTS, consumed one per request) applies to one request only", async () => {
    await onAnother(simulatorOptionsFromEnv({ PIXELWRIGHT_SIM_FAULTS: "sse_done" }), async () => {
      expect((await answer("images", null, true)).body.toString("utf8")).toContain("data: [DONE]");
      expect((await answer("images", null, true)).body.toString("utf8")).not.toContain("data: [DONE]");
    });
  });

  it("POST /_sim/control {faults} queues variants like any fault", async () => {
    const control = await steer({ faults: "gzip,error_in_200" });
    expect(control.json.queued_faults).toEqual(["gzip", "error_in_200"]);
    expect((await answer("images", null, false)).headers["content-encoding"]).toBe("gzip");
    expect(JSON.parse((await answer("images", null, false)).body.toString("utf8")).error.code).toBe(
      "insufficient_quota",
    );
    expect((await answer("images", null, false)).headers["content-encoding"]).toBeUndefined();
  });

  it("a standing gateway variant (PIXELWRIGHT_SIM_VARIANTS) applies to every answer, with a fault on top", async () => {
    const options = simulatorOptionsFromEnv({ PIXELWRIGHT_SIM_VARIANTS: "sse_crlf, gzip" });
    expect(options.gateway?.variants).toEqual(["sse_crlf", "gzip"]);
    await onAnother(options, async () => {
      for (const fault of [null, "sse_done"] as const) {
        const { headers, body } = await answer("images", fault, true);
        expect(headers["content-encoding"]).toBe("gzip");
        const text = gunzipSync(body).toString("utf8");
        expect(text).toContain("\r\nevent: image_generation.completed\r\n");
        expect(text.endsWith("data: [DONE]\r\n\r\n")).toBe(fault === "sse_done");
      }
    });
  });

  it("POST /_sim/control {gateway: {variants}} sets the standing variants; reset restores the configured ones", async () => {
    const prompt = await paddedPrompt();
    const control = await steer({ gateway: { variants: ["b64_unpadded"] } });
    expect(control.json.gateway?.variants).toEqual(["b64_unpadded"]);
    expect(b64Padded((await answer("images", null, false, prompt)).body)).toBe(false);
    expect(b64Padded((await answer("images", null, false, prompt)).body)).toBe(false);
    sim.reset();
    expect(b64Padded((await answer("images", null, false, prompt)).body)).toBe(true);
  });

  it("an unknown variant name is refused, naming the known ones", async () => {
    expect(() => simulatorOptionsFromEnv({ PIXELWRIGHT_SIM_VARIANTS: "gzip,brotli" })).toThrow(
      "unknown simulator variant 'brotli'; known: sse_done, sse_cr, sse_crlf, b64_unpadded, b64_escaped, gzip",
    );
    const control = await steer({ gateway: { variants: "stall_after_headers" } });
    expect(control.status).toBe(500);
    expect(control.json.error?.message).toMatch(/unknown simulator variant 'stall_after_headers'/);
  });

  it("the x-sim-fault header wins over the queue and leaves it for the next request", async () => {
    sim.enqueueFaults("b64_escaped");
    const first = await answer("images", "gzip", false);
    expect(first.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(first.body).toString("utf8")).not.toContain("\\u00");
    expect((await answer("images", null, false)).body.toString("utf8")).toContain("\\u002");
  });
});
