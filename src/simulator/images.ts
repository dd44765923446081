// The Images API surface: POST /v1/images/generations (JSON) and /v1/images/edits (multipart), each answered as
// JSON or, with stream: true, as server-sent events (partial images, then one completed event per image).

import type { Exchange, SimState } from "./context.js";
import { answerFault, type Fault, takeFault } from "./faults.js";
import { JSON_LIMIT, MULTIPART_LIMIT, parseJsonBody, parseMultipart, readBody, reject, sleep } from "./http.js";
import { imageEntry, produce, renderPartial, usageFor } from "./pictures.js";
import { openSse } from "./sse.js";
import { type SimRequest, validateImageRequest } from "./validate.js";

type Kind = "generation" | "edit";

/** A validated request and what every form of its answer shares. */
interface ImageAnswer {
  state: SimState;
  ex: Exchange;
  sim: SimRequest;
  fault: Fault | undefined;
  /** The event name prefix: image_generation or image_edit. */
  prefix: string;
  meta: { size: string; quality: string; background: string; output_format: string };
  usage: ReturnType<typeof usageFor>;
  mime: string;
}

/** The fields to validate, and how many reference images an edit carries (which validation does not see). */
async function readImageBody(
  ex: Exchange,
  kind: Kind,
): Promise<{ fields: Record<string, unknown>; references: number }> {
  const raw = await readBody(ex.req, kind === "edit" ? MULTIPART_LIMIT : JSON_LIMIT);
  const body =
    kind === "edit"
      ? await parseMultipart(ex.req, raw).catch(() => {
          throw reject(400, "We could not parse the multipart body of your request.");
        })
      : parseJsonBody(raw);
  const references = Array.isArray(body.image) ? body.image.length : 0;
  const fields = { ...body };
  if (kind === "edit") {
    if (references === 0) throw reject(400, "Missing required parameter: 'image'.", { param: "image" });
    delete fields.image;
    delete fields.mask;
  }
  ex.record.model = typeof body.model === "string" ? body.model : undefined;
  ex.record.size = typeof body.size === "string" ? body.size : undefined;
  ex.record.n = typeof body.n === "number" ? body.n : 1;
  return { fields, references };
}

export async function handleImages(state: SimState, ex: Exchange, kind: Kind): Promise<void> {
  const { fields, references } = await readImageBody(ex, kind);
  const fault = await takeFault(state, ex);
  if (ex.signal.aborted || (await answerFault(fault, ex))) return;
  const sim = validateImageRequest(fields, kind);
  if ("error" in sim) throw reject(sim);
  if (state.gateway.ignoreN) sim.n = 1;
  const answer: ImageAnswer = {
    state,
    ex,
    sim,
    fault,
    prefix: kind === "edit" ? "image_edit" : "image_generation",
    meta: {
      size: sim.auto ? "auto" : `${sim.width}x${sim.height}`,
      quality: sim.quality === "auto" ? "high" : sim.quality,
      background: sim.transparent ? "transparent" : "opaque",
      output_format: sim.format,
    },
    usage: usageFor(sim, references),
    mime: `image/${sim.format}`,
  };
  return sim.stream ? streamImages(answer) : sendImages(answer);
}

async function streamImages({ state, ex, sim, fault, prefix, meta, usage, mime }: ImageAnswer): Promise<void> {
  const sse = openSse(ex.res);
  const created = Math.floor(Date.now() / 1000);
  for (let i = 0; i < sim.partialImages; i++) {
    if (ex.signal.aborted) return;
    const partial = await renderPartial(state, sim, i);
    sse.send(`${prefix}.partial_image`, {
      type: `${prefix}.partial_image`,
      b64_json: partial.toString("base64"),
      partial_image_index: i,
      created_at: created,
      ...meta,
    });
    await sleep(state.options.partialDelayMs ?? 0, ex.signal);
  }
  if (fault === "truncate") return sse.end();
  for (let i = 0; i < sim.n; i++) {
    const bytes = await produce(state, sim, i, fault);
    if (ex.signal.aborted) return;
    sse.send(`${prefix}.completed`, {
      type: `${prefix}.completed`,
      ...imageEntry(state, bytes, fault, mime),
      created_at: created,
      ...meta,
      usage,
    });
  }
  sse.end();
}

async function sendImages({ state, ex, sim, fault, meta, usage, mime }: ImageAnswer): Promise<void> {
  const data: Record<string, string>[] = [];
  for (let i = 0; i < (fault === "no_image" ? 0 : sim.n); i++) {
    data.push(imageEntry(state, await produce(state, sim, i, fault), fault, mime) as Record<string, string>);
  }
  if (ex.signal.aborted) return;
  const text = JSON.stringify({ created: Math.floor(Date.now() / 1000), data, ...meta, usage });
  ex.res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  if (fault === "truncate") {
    // Promise a full body, send half of it, and hang up.
    ex.res.write(text.slice(0, Math.floor(text.length / 2)));
    ex.req.socket.destroy();
    return;
  }
  ex.res.end(text);
}
