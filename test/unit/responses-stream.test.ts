import { describe, expect, it } from "vitest";
import { B64JsonExtractor, RESPONSES_API_KEYS, readImagesJson } from "../../src/upstream/b64-stream.js";
import { readImagesSse } from "../../src/upstream/sse.js";

async function* pieces(text: string, size: number): AsyncIterable<Uint8Array> {
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

const png = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489", "hex");
const b64 = png.toString("base64");
const response = (result: string) =>
  JSON.stringify({
    id: "resp_1",
    output: [
      { type: "image_generation_call", id: "ig_1", status: "completed", result, revised_prompt: "a fox" },
      { type: "message", content: [{ type: "output_text", text: 'the "result" is above' }] },
    ],
    usage: { output_tokens: 7024 },
  });

describe("reading Responses API answers from the byte stream", () => {
  it("decodes an image_generation_call's result into bytes and keeps the rest of the answer", async () => {
    for (const size of [1, 3, 7, 64, 4096]) {
      const { json, images } = await readImagesJson(pieces(response(b64), size), RESPONSES_API_KEYS);
      expect(images).toHaveLength(1);
      expect(images[0]?.equals(png)).toBe(true);
      expect(json).toMatchObject({
        id: "resp_1",
        output: [{ result: "@image:0", revised_prompt: "a fox" }, { content: [{ text: 'the "result" is above' }] }],
        usage: { output_tokens: 7024 },
      });
    }
  });

  it("decodes streamed partial images (partial_image_b64) and the completed response's result, event by event", async () => {
    const events = [
      `event: response.image_generation_call.partial_image\ndata: ${JSON.stringify({ type: "response.image_generation_call.partial_image", partial_image_index: 0, partial_image_b64: b64 })}\n\n`,
      `event: response.completed\ndata: ${JSON.stringify({ type: "response.completed", response: JSON.parse(response(b64)) })}\n\n`,
    ].join("");
    const seen = [];
    for await (const event of readImagesSse(pieces(events, 5), RESPONSES_API_KEYS)) seen.push(event);
    expect(seen.map((e) => e.json?.type)).toEqual([
      "response.image_generation_call.partial_image",
      "response.completed",
    ]);
    expect(seen[0]?.json).toMatchObject({ partial_image_b64: "@image:0" });
    expect(seen[0]?.images[0]?.equals(png)).toBe(true);
    expect(seen[1]?.json).toMatchObject({ response: { output: [{ result: "@image:0" }, { type: "message" }] } });
    expect(seen[1]?.images[0]?.equals(png)).toBe(true);
  });

  it("leaves the Images API's b64_json alone when reading Responses keys, and the other way round", () => {
    const responses = new B64JsonExtractor(RESPONSES_API_KEYS);
    responses.push(Buffer.from(`{"b64_json":"${b64}"}`));
    expect(responses.end()).toMatchObject({ json: { b64_json: b64 }, images: [] });
    const images = new B64JsonExtractor();
    images.push(Buffer.from(`{"result":"${b64}"}`));
    expect(images.end()).toMatchObject({ json: { result: b64 }, images: [] });
  });

  it("marks a result that is not base64 as such instead of guessing", async () => {
    const { json, images } = await readImagesJson(pieces(response("not base64!"), 16), RESPONSES_API_KEYS);
    expect(images).toEqual([null]);
    expect(json).toMatchObject({ output: [{ result: "@image:0" }, { type: "message" }] });
  });
});
