// The pictures the simulator delivers: rendered at the requested size (or as a gateway would spoil them), the usage
// figures that go with them, and how each is handed over (b64_json or a hosted url).

import { randomBytes } from "node:crypto";
import { billedQuality, priceOf, tokensPerImage, usageOf } from "../contract/cost.js";
import { declaredSize, HEADER_BYTES } from "../imaging/admit.js";
import { renderPlaceholder, resizeTo } from "../imaging/render.js";
import type { SimState } from "./context.js";
import type { Fault } from "./knobs.js";
import type { SimRequest } from "./validate.js";
import { encodeB64, type Wire } from "./wire.js";

const URL_TTL_MS = 60 * 60 * 1000;

function renderFresh(state: SimState, sim: SimRequest, index: number, blur?: number): Promise<Buffer> {
  return renderPlaceholder({
    width: sim.width,
    height: sim.height,
    format: sim.format,
    prompt: sim.prompt,
    caption: `pixelwright offline simulator · ${sim.model.id} · ${sim.quality}${sim.n > 1 ? ` · #${index + 1}` : ""}`,
    transparent: sim.transparent,
    ...(sim.compression !== undefined ? { compression: sim.compression } : {}),
    ...(sim.format === "gif" ? { frames: sim.frames, frameDurationMs: sim.frameDurationMs } : {}),
    ...(state.options.realistic ? { noise: true } : {}),
    ...(blur ? { blur } : {}),
  });
}

/** Image `index` of a request; a blur gives a partial image. Realistic renders are cached (the last eight). */
export function renderOne(state: SimState, sim: SimRequest, index: number, blur?: number): Promise<Buffer> {
  if (!state.options.realistic || blur) return renderFresh(state, sim, index, blur);
  const cache = state.renderCache;
  const key = JSON.stringify([
    ...[sim.prompt, sim.width, sim.height, sim.format, sim.transparent, sim.compression, index],
    ...[sim.frames, sim.frameDurationMs],
  ]);
  let cached = cache.get(key);
  if (!cached) {
    cached = renderFresh(state, sim, index);
    cache.set(key, cached);
    if (cache.size > 8) cache.delete(cache.keys().next().value as string);
  }
  return cached;
}

/** Partial image `i` of a stream: the final picture, blurred less each time. */
export function renderPartial(state: SimState, sim: SimRequest, i: number): Promise<Buffer> {
  return renderOne(state, sim, 0, 40 - i * 12);
}

/** The famous downscale users report (3840x2160 -> 1672x941), applied proportionally to any size. */
function wrongSize(width: number, height: number): [number, number] {
  const factor = 1672 / 3840;
  return [Math.max(1, Math.round(width * factor)), Math.max(1, Math.round(height * factor))];
}

/** What the gateway modes do to a rendered picture: ignore the size, or silently downscale. */
function deliverBytes(state: SimState, sim: SimRequest, bytes: Buffer): Promise<Buffer> | Buffer {
  const { gateway } = state;
  if (gateway.ignoreSizeWith) {
    const [w, h] = gateway.ignoreSizeWith.split("x").map(Number) as [number, number];
    return resizeTo(bytes, w, h);
  }
  const long = Math.max(sim.width, sim.height);
  if (gateway.downscaleAbove > 0 && long > gateway.downscaleAbove) {
    const scale = gateway.downscaleAbove / long;
    return resizeTo(bytes, Math.round(sim.width * scale), Math.round(sim.height * scale));
  }
  return bytes;
}

/** Image `index` as delivered: the wrong_size fault, else the gateway modes. */
export async function produce(state: SimState, sim: SimRequest, index: number, fault?: Fault): Promise<Buffer> {
  const bytes = await renderOne(state, sim, index);
  if (fault === "wrong_size") {
    const [w, h] = wrongSize(sim.width, sim.height);
    return resizeTo(bytes, w, h);
  }
  return deliverBytes(state, sim, bytes);
}

/** The dimensions an uploaded image's header declares (what billing counts), or none for bytes that are not one. */
export function dimsOf(bytes: Buffer): { width: number; height: number }[] {
  const declared = declaredSize(bytes.subarray(0, HEADER_BYTES));
  return declared ? [{ width: declared.width, height: declared.height }] : [];
}

/**
 * The usage an answer reports, from the same functions the estimate uses (contract/cost.ts): output tokens per image
 * at the model's price row, partial images, the prompt's text tokens and one figure per input image (references,
 * the mask, or the earlier image of a follow-up turn) from its dimensions.
 */
export function usageFor(sim: SimRequest, inputImages: readonly { width: number; height: number }[]) {
  const { row } = priceOf(sim.model);
  const perImage = tokensPerImage(row, sim.width, sim.height, billedQuality(sim.quality)).tokens;
  const usage = usageOf(
    {
      model: sim.model,
      width: sim.width,
      height: sim.height,
      quality: sim.quality,
      n: sim.n,
      promptChars: sim.prompt.length,
      inputImages,
      partialImages: sim.stream ? sim.partialImages : 0,
      frames: sim.frames,
    },
    perImage,
  );
  return {
    input_tokens: usage.text + usage.image,
    input_tokens_details: { image_tokens: usage.image, text_tokens: usage.text },
    output_tokens: usage.output,
    total_tokens: usage.text + usage.image + usage.output,
  };
}

/** One image as the answer carries it: b64_json, or a url the simulator hosts (url-only gateways). */
export function imageEntry(
  state: SimState,
  bytes: Buffer,
  { fault, wire, mime }: { fault: Fault | undefined; wire: Wire; mime: string },
): { b64_json?: string; url?: string } {
  if (fault === "bad_base64") return { b64_json: `${bytes.subarray(0, 32).toString("base64")}%%not*base64%%` };
  if (fault === "not_image") return { b64_json: Buffer.from("<html>this is not an image</html>").toString("base64") };
  if (state.gateway.urlOnly) {
    const id = randomBytes(8).toString("hex");
    state.hosted.set(id, { bytes, mime, expires: Date.now() + URL_TTL_MS });
    return { url: `${state.baseUrl}/files/${id}` };
  }
  return { b64_json: encodeB64(bytes, wire) };
}
