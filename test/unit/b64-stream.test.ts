import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readImagesJson } from "../../src/upstream/b64-stream.js";
import { readImagesSse } from "../../src/upstream/sse.js";

async function* chunks(text: string, sizes: number[]): AsyncIterable<Uint8Array> {
  const bytes = Buffer.from(text);
  let at = 0;
  let i = 0;
  while (at < bytes.length) {
    const size = Math.max(1, sizes[i++ % sizes.length] ?? 1);
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

const png = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489", "hex");
const answer = (b64: string, extra = "") =>
  `{"created":1,"data":[{"b64_json":"${b64}"${extra}}],"usage":{"output_tokens":7024},"size":"1024x1024"}`;

describe("streamed b64_json decoding", () => {
  it("decodes the image and keeps the rest of the answer, whatever the chunking", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }), async (sizes) => {
        const { json, images } = await readImagesJson(chunks(answer(png.toString("base64")), sizes));
        expect(images).toHaveLength(1);
        expect(images[0]?.equals(png)).toBe(true);
        expect(json).toMatchObject({
          data: [{ b64_json: "@image:0" }],
          usage: { output_tokens: 7024 },
          size: "1024x1024",
        });
      }),
      { numRuns: 200 },
    );
  });

  it("handles several images, escaped slashes and spaces around the colon", async () => {
    const b64 = png.toString("base64");
    const text = `{"data":[{"b64_json" : "${b64.replace(/\//g, "\\/")}"},{"b64_json":"${b64}","revised_prompt":"a \\"b64_json\\":\\"x\\" trick"}]}`;
    const { json, images } = await readImagesJson(chunks(text, [7]));
    expect(images.map((i) => i?.equals(png))).toEqual([true, true]);
    expect((json as { data: { revised_prompt?: string }[] }).data[1]?.revised_prompt).toBe('a "b64_json":"x" trick');
  });

  it("reports invalid base64 as a null image instead of silently skipping characters", async () => {
    const { images } = await readImagesJson(
      chunks(answer(`${png.toString("base64").slice(0, 20)}%%not*base64%%`), [5]),
    );
    expect(images).toEqual([null]);
  });

  it("refuses padding inside a value and takes an unpadded one, wherever the pieces split the quads", async () => {
    const unpadded = Buffer.from("pixelwright!!");
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 6 }), async (sizes) => {
        const inner = await readImagesJson(chunks(answer(`QQ==${png.toString("base64")}`), sizes));
        expect(inner.images).toEqual([null]);
        const bare = await readImagesJson(chunks(answer(unpadded.toString("base64").replace(/=+$/, "")), sizes));
        expect(bare.images[0]?.equals(unpadded)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("reads JSON's one-letter escapes as their characters: \\f is whitespace like \\u000C, \\b is not base64", async () => {
    const abc = Buffer.from("ABCDEF").toString("base64");
    const split = (sequence: string) => answer(`${abc.slice(0, 4)}${sequence}${abc.slice(4)}`);
    for (const sequence of ["\\f", "\\u000C", "\\n", "\\t"]) {
      const { images } = await readImagesJson(chunks(split(sequence), [3]));
      expect(images[0]?.toString()).toBe("ABCDEF");
    }
    for (const sequence of ["\\b", "\\u0008"]) {
      expect((await readImagesJson(chunks(split(sequence), [3]))).images).toEqual([null]);
    }
  });

  it("passes url answers through untouched", async () => {
    const { json, images } = await readImagesJson(chunks('{"data":[{"url":"https://cdn.example/x.png"}]}', [3]));
    expect(images).toEqual([]);
    expect(json).toMatchObject({ data: [{ url: "https://cdn.example/x.png" }] });
  });

  it("refuses a body cut off inside an image; one cut after a complete image keeps the image and says so", async () => {
    const full = answer(png.toString("base64"));
    await expect(readImagesJson(chunks(full.slice(0, 40), [8]))).rejects.toThrow(/truncated/);
    const cutAfter = await readImagesJson(chunks(full.slice(0, full.length - 5), [8]));
    expect(cutAfter.images[0]?.equals(png)).toBe(true);
    expect(cutAfter.problem).toMatch(/malformed/);
    await expect(readImagesJson(chunks('{"data":[{"url":"https://x', [8]))).rejects.toThrow(/truncated or malformed/);
  });
});

describe("decoding into one buffer when the answer's length is known", () => {
  const big = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251));
  const lengths = (text: string) => {
    const exact = Buffer.byteLength(text);
    // exact (Content-Length), a guess that is too small (a compressed length), none, one that is too large
    return [exact, Math.floor(exact / 3), 0, exact * 4];
  };

  it("gives the same bytes whatever the length it is told, for any chunking", async () => {
    const text = answer(big.toString("base64"));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 4 }),
        fc.constantFrom(...lengths(text)),
        async (sizes, length) => {
          const { images } = await readImagesJson(chunks(text, sizes), undefined, length);
          expect(images[0]?.equals(big)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("holds each of several images in a buffer of its own size, not the whole answer's", async () => {
    const large = Buffer.concat(Array.from({ length: 7 }, () => big));
    const b64 = large.toString("base64");
    const text = `{"data":[{"b64_json":"${b64}"},{"b64_json":"${b64}"},{"b64_json":"${b64}"}]}`;
    const { images } = await readImagesJson(chunks(text, [65_536]), undefined, Buffer.byteLength(text));
    expect(images.map((i) => i?.equals(large))).toEqual([true, true, true]);
    for (const image of images) expect(image?.buffer.byteLength).toBeLessThanOrEqual(large.length + 1024 * 1024);
  });

  it("still refuses invalid base64 and takes unpadded and space-wrapped values", async () => {
    const b64 = big.toString("base64");
    const bad = answer(`${b64.slice(0, 4000)}%%not*base64%%${b64.slice(4000)}`);
    expect((await readImagesJson(chunks(bad, [4096]), undefined, Buffer.byteLength(bad))).images).toEqual([null]);
    const loose = answer(` ${b64.replace(/=+$/, "").replace(/(.{76})/g, "$1 ")} `);
    const { images } = await readImagesJson(chunks(loose, [1000]), undefined, Buffer.byteLength(loose));
    expect(images[0]?.equals(big)).toBe(true);
  });
});

describe("streamed SSE events", () => {
  const b64 = png.toString("base64");
  const stream = (eol: string) =>
    [
      `event: image_generation.partial_image${eol}data: {"type":"image_generation.partial_image","partial_image_index":0,"b64_json":"${b64}"}${eol}${eol}`,
      `: a comment line${eol}${eol}`,
      `event: image_generation.completed${eol}data: {"type":"image_generation.completed","b64_json":"${b64}","usage":{"output_tokens":5}}${eol}${eol}`,
    ].join("");

  it.each([
    ["LF", "\n"],
    ["CRLF", "\r\n"],
  ])("yields every event with its decoded image, whatever the chunking (%s)", async (_name, eol) => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 6 }), async (sizes) => {
        const events = [];
        for await (const event of readImagesSse(chunks(stream(eol), sizes))) events.push(event);
        expect(events.map((e) => e.event)).toEqual(["image_generation.partial_image", "image_generation.completed"]);
        expect(events.map((e) => e.images[0]?.equals(png))).toEqual([true, true]);
        expect(events[1]?.json).toMatchObject({ type: "image_generation.completed", usage: { output_tokens: 5 } });
      }),
      { numRuns: 100 },
    );
  });

  it("yields a final event that ends without a blank line, and no image from one cut inside its image", async () => {
    const events = [];
    for await (const e of readImagesSse(chunks(`data: {"type":"x","b64_json":"${b64}"}`, [9]))) events.push(e);
    expect(events).toHaveLength(1);
    const cut = [];
    for await (const e of readImagesSse(chunks(`data: {"type":"x","b64_json":"${b64.slice(0, 12)}`, [9]))) cut.push(e);
    expect(cut.map((e) => [e.json, e.images])).toEqual([[null, []]]);
  });
});
