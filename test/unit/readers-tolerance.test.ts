// The readers accept what the formats allow (SSE per the WHATWG standard, JSON strings with any escape, base64 with
// or without padding), whatever the chunking: every property splits the bytes at random places, single bytes included,
// so CR|LF, "data:"|" ", "\\u00"|"2B" and "="|"=" all fall on a boundary somewhere.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBase64Strict } from "../../src/contract/formats.js";
import { readImagesJson } from "../../src/upstream/b64-stream.js";
import { readImagesSse, type SseEvent } from "../../src/upstream/sse.js";

async function* chunks(bytes: Buffer, sizes: number[]): AsyncIterable<Uint8Array> {
  let at = 0;
  let i = 0;
  while (at < bytes.length) {
    const size = Math.max(1, sizes[i++ % sizes.length] ?? 1);
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

const splits = fc.array(fc.integer({ min: 1, max: 23 }), { minLength: 1, maxLength: 8 });
const payload = fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b));

/** base64 of the bytes, written the way some provider might: escapes, no padding, wrapped lines. */
function spell(bytes: Buffer, style: { escape: boolean; unpadded: boolean; wrap: boolean }): string {
  let b64 = bytes.toString("base64");
  if (style.unpadded) b64 = b64.replace(/=+$/, "");
  if (style.wrap) b64 = b64.replace(/(.{76})/g, "$1\\n");
  if (style.escape) b64 = b64.replace(/[+/=]/g, (c) => `\\u00${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return b64.replace(/\//g, "\\/");
}
const style = fc.record({ escape: fc.boolean(), unpadded: fc.boolean(), wrap: fc.boolean() });

async function events(text: string, sizes: number[]): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const e of readImagesSse(chunks(Buffer.from(text), sizes))) out.push(e);
  return out;
}

describe("b64_json values as JSON and base64 allow them", () => {
  it("decodes \\u escapes, escaped slashes, wrapped lines and missing padding, whatever the chunking", async () => {
    await fc.assert(
      fc.asyncProperty(payload, style, splits, async (bytes, how, sizes) => {
        const text = `{"data":[{"revised_prompt":"say \\"b64_json\\": \\"no\\"","b64_json":"${spell(bytes, how)}"}]}`;
        const { json, images } = await readImagesJson(chunks(Buffer.from(text), sizes));
        expect(images).toHaveLength(1);
        expect(images[0]?.equals(bytes)).toBe(true);
        expect(json).toMatchObject({ data: [{ revised_prompt: 'say "b64_json": "no"', b64_json: "@image:0" }] });
      }),
      { numRuns: 300 },
    );
  });

  it("refuses escapes no base64 text can hold, and a lone trailing character", async () => {
    for (const bad of ['QUJD\\"', "QUJD\\\\", "QUJD\\u0041\\u0021", "QUJDR"]) {
      const { images } = await readImagesJson(chunks(Buffer.from(`{"data":[{"b64_json":"${bad}"}]}`), [3]));
      expect(images, bad).toEqual([null]);
    }
  });

  it("keeps a complete image when the JSON around it is malformed, and says so", async () => {
    const bytes = Buffer.from("89504e470d0a1a0a0102030405", "hex");
    const text = `{"data":[{"b64_json":"${bytes.toString("base64")}"}]} trailing garbage`;
    const answer = await readImagesJson(chunks(Buffer.from(text), [5]));
    expect(answer.images[0]?.equals(bytes)).toBe(true);
    expect(answer.problem).toMatch(/malformed/);
  });

  it("decodeBase64Strict takes unpadded and wrapped base64, and refuses garbage", () => {
    expect(decodeBase64Strict("aGVsbG8")?.toString()).toBe("hello");
    expect(decodeBase64Strict("aGVs\nbG8=")?.toString()).toBe("hello");
    expect(decodeBase64Strict("aGVsb")).toBeNull();
    expect(decodeBase64Strict("aGVs%%bG8=")).toBeNull();
  });
});

describe("SSE as the WHATWG standard reads it", () => {
  const image = Buffer.from("89504e470d0a1a0a00ff10fe2b2f", "hex");
  const completed = (b64: string) =>
    `{"type":"image_generation.completed","b64_json":"${b64}","usage":{"output_tokens":5}}`;

  it.each([
    ["LF", "\n"],
    ["CRLF", "\r\n"],
    ["CR", "\r"],
  ])("reads events, comments, id/retry fields and multi-line data with %s line endings", async (_name, eol) => {
    const b64 = image.toString("base64");
    const text = [
      `: keep-alive${eol}${eol}`,
      `event: ping${eol}data: ping${eol}${eol}`,
      `retry: 3000${eol}id: 7${eol}event: image_generation.partial_image${eol}`,
      `data: {"type":"image_generation.partial_image",${eol}data: "partial_image_index":0,${eol}data:"b64_json":"${b64.slice(0, 8)}${eol}data: ${b64.slice(8)}"}${eol}${eol}`,
      `event: image_generation.completed${eol}data: ${completed(b64)}${eol}${eol}`,
    ].join("");
    await fc.assert(
      fc.asyncProperty(splits, async (sizes) => {
        const got = await events(text, sizes);
        expect(got.map((e) => e.event)).toEqual([
          "ping",
          "image_generation.partial_image",
          "image_generation.completed",
        ]);
        expect(got[0]?.json).toBeNull();
        expect(got[1]?.id).toBe("7");
        expect(got[1]?.json).toMatchObject({ partial_image_index: 0 });
        expect(got.slice(1).map((e) => e.images[0]?.equals(image))).toEqual([true, true]);
      }),
      { numRuns: 200 },
    );
  });

  it("ends at data: [DONE] without an error and reads nothing after it", async () => {
    const text = `data: ${completed(image.toString("base64"))}\n\ndata: [DONE]\n\ndata: {"type":"late"}\n\n`;
    await fc.assert(
      fc.asyncProperty(splits, async (sizes) => {
        const got = await events(text, sizes);
        expect(got.map((e) => e.json?.type)).toEqual(["image_generation.completed"]);
      }),
      { numRuns: 100 },
    );
  });

  it("skips a byte-order mark and a field line without a colon", async () => {
    const text = `\ufeffdata\n\nevent: x\ndata: {"a":1}\n\n`;
    const got = await events(text, [1]);
    expect(got.map((e) => [e.event, e.json])).toEqual([["x", { a: 1 }]]);
  });
});
