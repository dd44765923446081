import { describe, expect, it } from "vitest";
import { HEADERS, imageStream, okJson, png, scriptedSessions } from "../helpers/scripted-provider.js";

const { setUp } = scriptedSessions();
const ok = okJson;

describe("finding 1: an SSE stream that ends with data: [DONE]", () => {
  it("is one completed image from one upstream call", async () => {
    const image = await png();
    const { p, s } = await setUp((res) => {
      res.writeHead(200, HEADERS("req_done", "text/event-stream"));
      res.end(imageStream(image, "\n", "data: [DONE]\n\n"));
    });
    const result = await s.generate({ prompt: "done sentinel", partial_images: 1 });
    expect(result.status).toBe("completed");
    expect(result.images).toHaveLength(1);
    expect(p.calls).toBe(1);
  });
});

describe("finding 2: an answer that stalls", () => {
  it("after the headers ends at PIXELWRIGHT_TIMEOUT_SECONDS, says it may have been billed, and frees the slot", async () => {
    const image = await png();
    const { p, s } = await setUp(
      (res, n) => {
        res.writeHead(200, HEADERS(`req_stall_${n}`));
        if (n > 0) res.end(ok(image));
        else res.flushHeaders();
      },
      { timeoutSeconds: 2, maxRetries: 0, maxConcurrency: 1 },
    );
    const stalled = await s.generate({ prompt: "stalls after headers", wait_seconds: 15 });
    expect(stalled.status).toBe("failed");
    expect(stalled.text).toMatch(/may have been billed/);
    const next = await s.generate({ prompt: "the next one", wait_seconds: 15 });
    expect(next.status).toBe("completed");
    expect(p.calls).toBe(2);
  });

  it("mid-stream, after a partial image, ends at PIXELWRIGHT_STREAM_IDLE_SECONDS", async () => {
    const image = await png();
    const { p, s } = await setUp(
      (res) => {
        res.writeHead(200, HEADERS("req_idle", "text/event-stream"));
        res.write(imageStream(image).split("event: image_generation.completed")[0]);
      },
      { timeoutSeconds: 60, streamIdleSeconds: 1, maxRetries: 0 },
    );
    const result = await s.generate({ prompt: "stalls mid-stream", partial_images: 1, wait_seconds: 15 });
    expect(result.status).toBe("failed");
    expect(result.text).toMatch(/no bytes for 1 s.*may have been billed/);
    expect(p.calls).toBe(1);
  });
});

describe("finding 8: answers stricter readers refuse", () => {
  it("decodes \\u-escaped, unpadded base64 from one call", async () => {
    const image = await png();
    const escaped = image
      .toString("base64")
      .replace(/=+$/, "")
      .replace(/[+/]/g, (c) => `\\u00${c.charCodeAt(0).toString(16).toUpperCase()}`);
    const { p, s } = await setUp((res) => {
      res.writeHead(200, HEADERS("req_esc"));
      res.end(`{"created":1,"data":[{"b64_json":"${escaped}"}]}`);
    });
    const result = await s.generate({ prompt: "escaped" });
    expect(result.status).toBe("completed");
    expect(result.images[0]?.verified).toBe(true);
    expect(p.calls).toBe(1);
  });

  it("reads SSE with CR-only line endings from one call", async () => {
    const image = await png();
    const { p, s } = await setUp((res) => {
      res.writeHead(200, HEADERS("req_cr", "text/event-stream"));
      res.end(imageStream(image, "\r"));
    });
    const result = await s.generate({ prompt: "carriage returns", partial_images: 1 });
    expect(result.status).toBe("completed");
    expect(p.calls).toBe(1);
  });
});

describe("finding 9: a 200 that carries an error", () => {
  it("reports the provider's own message, and a quota error is not retried", async () => {
    const { p, s } = await setUp((res) => {
      res.writeHead(200, HEADERS("req_quota"));
      res.end(JSON.stringify({ error: { message: "You exceeded your current quota", type: "insufficient_quota" } }));
    });
    const result = await s.generate({ prompt: "no credit" });
    expect(result.status).toBe("failed");
    expect(result.text).toMatch(/You exceeded your current quota/);
    expect(result.text).toMatch(/not retried/);
    expect(p.calls).toBe(1);
  });
});
