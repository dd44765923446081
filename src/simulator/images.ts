// The Images API surface: POST /v1/images/generations (JSON) and /v1/images/edits (multipart), each answered as
// JSON or, with stream: true, as server-sent events (partial images, then one completed event per image).

import { createHash } from "node:crypto";
import type { Exchange, SimState } from "./context.js";
import { answerFault, takeFault } from "./faults.js";
import { JSON_LIMIT, MULTIPART_LIMIT, parseJsonBody, parseMultipart, readBody, reject, sleep } from "./http.js";
import type { Fault } from "./knobs.js";
import { dimsOf, imageEntry, produce, renderPartial, usageFor } from "./pictures.js";
import { openSse } from "./sse.js";
import { type SimRequest, validateImageRequest } from "./validate.js";
import { encodeB64, sendAnswer, type Wire, wireFor } from "./wire.js";

type Kind = "generation" | "edit";

/** A validated request and what every form of its answer shares. */
interface ImageAnswer {
  state: SimState;
  ex: Exchange;
  sim: SimRequest;
  fault: Fault | undefined;
  wire: Wire;
  /** The event name prefix: image_generation or image_edit. */
  prefix: string;
  meta: { size: string; quality: string; background: string; output_format: string };
  usage: ReturnType<typeof usageFor>;
  mime: string;
}

/** The fields to validate, and the dimensions of every input image an edit carries (references, then the mask). */
async function readImageBody(
  ex: Exchange,
  kind: Kind,
): Promise<{ fields: Record<string, unknown>; inputs: { width: number; height: number }[] }> {
  const raw = await readBody(ex.req, kind === "edit" ? MULTIPART_LIMIT : JSON_LIMIT);
  const body =
    kind === "edit"
      ? await parseMultipart(ex.req, raw).catch(() => {
          throw reject(400, "We could not parse the multipart body of your request.");
        })
      : parseJsonBody(raw);
  const files = Array.isArray(body.image) ? (body.image as File[]) : [];
  const buffers = await Promise.all(files.map(async (f) => Buffer.from(await f.arrayBuffer())));
  if (buffers.length > 0) ex.record.inputSha256 = buffers.map((b) => createHash("sha256").update(b).digest("hex"));
  const mask = body.mask instanceof Blob ? Buffer.from(await body.mask.arrayBuffer()) : null;
  const markup = body.markup instanceof Blob ? Buffer.from(await body.markup.arrayBuffer()) : null;
  const inputs = [...buffers, ...(mask ? [mask] : []), ...(markup ? [markup] : [])].flatMap(dimsOf);
  const fields = { ...body };
  if (kind === "edit") {
    if (buffers.length === 0) throw reject(400, "Missing required parameter: 'image'.", { param: "image" });
    delete fields.image;
    // Only whether there is one matters to the rules (a GIF takes none); its bytes were read above.
    if (mask) fields.mask = true;
    else delete fields.mask;
    if (markup) {
      fields.markup = true;
      ex.record.markupSha256 = createHash("sha256").update(markup).digest("hex");
      const [first, drawn] = [dimsOf(buffers[0] as Buffer)[0], dimsOf(markup)[0]];
      if (!first || !drawn || first.width !== drawn.width || first.height !== drawn.height) {
        throw reject(400, "The markup image must match the dimensions of the first image.", { param: "markup" });
      }
    }
  }
  ex.record.model = typeof body.model === "string" ? body.model : undefined;
  ex.record.size = typeof body.size === "string" ? body.size : undefined;
  ex.record.n = typeof body.n === "number" ? body.n : 1;
  ex.record.stream = body.stream === true || body.stream === "true";
  return { fields, inputs };
}

export async function handleImages(state: SimState, ex: Exchange, kind: Kind): Promise<void> {
  const { fields, inputs } = await readImageBody(ex, kind);
  const fault = await takeFault(state, ex);
  const wire = wireFor(state, fault);
  if (ex.signal.aborted || (await answerFault(fault, ex, { wire, stream: ex.record.stream }))) return;
  const sim = validateImageRequest(fields, kind);
  if ("error" in sim) throw reject(sim);
  if (state.gateway.ignoreN) sim.n = 1;
  const answer: ImageAnswer = {
    state,
    ex,
    sim,
    fault,
    wire,
    prefix: kind === "edit" ? "image_edit" : "image_generation",
    meta: {
      size: sim.auto ? "auto" : `${sim.width}x${sim.height}`,
      quality: sim.quality === "auto" ? "high" : sim.quality,
      background: sim.transparent ? "transparent" : "opaque",
      output_format: sim.format,
    },
    usage: usageFor(sim, inputs),
    mime: `image/${sim.format}`,
  };
  return sim.stream ? streamImages(answer) : sendImages(answer);
}

async function streamImages(answer: ImageAnswer): Promise<void> {
  const { state, ex, sim, fault, wire, prefix, meta, usage } = answer;
  const sse = openSse(ex, wire, `${prefix}.completed`);
  const created = Math.floor(Date.now() / 1000);
  for (let i = 0; i < sim.partialImages; i++) {
    if (ex.signal.aborted) return;
    const partial = await renderPartial(state, sim, i);
    await sse.send(`${prefix}.partial_image`, {
      type: `${prefix}.partial_image`,
      b64_json: encodeB64(partial, wire),
      partial_image_index: i,
      created_at: created,
      ...meta,
    });
    await sleep(state.options.partialDelayMs ?? 0, ex.signal);
  }
  for (let i = 0; i < sim.n; i++) {
    const bytes = await produce(state, sim, i, fault);
    if (ex.signal.aborted) return;
    const event = {
      type: `${prefix}.completed`,
      ...imageEntry(state, bytes, answer),
      created_at: created,
      ...meta,
      usage,
    };
    if (!(await sse.send(`${prefix}.completed`, event))) return;
  }
  sse.end();
}

async function sendImages(answer: ImageAnswer): Promise<void> {
  const { state, ex, sim, fault, wire, meta, usage } = answer;
  const data: { b64_json?: string; url?: string }[] = [];
  for (let i = 0; i < (fault === "no_image" ? 0 : sim.n); i++) {
    data.push(imageEntry(state, await produce(state, sim, i, fault), answer));
  }
  if (ex.signal.aborted) return;
  // truncate: promise a full body, send half of it, and hang up.
  const body = { created: Math.floor(Date.now() / 1000), data, ...meta, usage };
  return sendAnswer(ex, wire, body, fault === "truncate");
}
