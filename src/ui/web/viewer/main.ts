// The MCP App view: shows the image a tool call produced, the measured truth about it, a running job until it is
// verified, and the actions that make sense in a chat. It talks only to its host (postMessage), never the network.

import { App } from "@modelcontextprotocol/ext-apps";
import { byId, clear, h } from "../shared/dom.js";
import { factsLine, mismatchNote, truthLine } from "../shared/render.js";
import type { ImageFacts } from "../shared/truth.js";
import { ZoomView } from "../shared/zoom-view.js";
import { setupActions } from "./actions.js";
import { followJob } from "./job.js";
import { parseSize, type ToolResultLike, type ViewModel, viewModel } from "./model.js";

interface ViewerConfig {
  /** The tools this server has, so actions for missing ones stay hidden. */
  tools: string[];
  /** Full files up to this many bytes are read through the host; larger ones stay as the preview. */
  fullMaxBytes: number;
}

function readConfig(): ViewerConfig {
  try {
    const raw = JSON.parse(byId("pw-config").textContent || "{}") as Partial<ViewerConfig>;
    return { tools: Array.isArray(raw.tools) ? raw.tools : [], fullMaxBytes: raw.fullMaxBytes ?? 6 * 1024 * 1024 };
  } catch {
    return { tools: [], fullMaxBytes: 6 * 1024 * 1024 };
  }
}

const config = readConfig();
const app = new App({ name: "pixelwright-viewer", version: "1.0.0" }, {}, { autoResize: true });
const zoom = new ZoomView(byId("viewport"), byId<HTMLImageElement>("image"));
const els = {
  header: byId("header"),
  status: byId("status"),
  job: byId("job"),
  jobStatus: byId("job-status"),
  picker: byId("picker"),
  zoomLabel: byId("zoom-label"),
  source: byId("source-label"),
  fit: byId("fit"),
  actual: byId("actual"),
  stage: byId("stage"),
};
let current: ViewModel | null = null;
/** The size the running call asked for (from the tool input), to lay out partial images at the final size. */
let pendingSize: { width: number; height: number } | null = null;
let shownUri: string | null = null;
let objectUrl: string | null = null;

zoom.onchange = (state, mode) => {
  els.zoomLabel.textContent = `${Math.round(state.scale * 100)}%`;
  els.fit.setAttribute("aria-pressed", String(mode === "fit"));
  els.actual.setAttribute("aria-pressed", String(Math.abs(state.scale - 1) < 1e-6));
};
els.fit.addEventListener("click", () => zoom.fit());
els.actual.addEventListener("click", () => zoom.actual());

function naturalSize(url: string): Promise<{ width: number; height: number }> {
  const img = new Image();
  img.src = url;
  return img.decode().then(
    () => ({ width: img.naturalWidth, height: img.naturalHeight }),
    () => ({ width: 0, height: 0 }),
  );
}

function setStatus(text: string): void {
  els.status.textContent = text;
  els.status.hidden = text === "";
}

function base64ToObjectUrl(blob: string, mimeType: string): string {
  const bin = atob(blob);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  if (objectUrl) URL.revokeObjectURL(objectUrl);
  objectUrl = URL.createObjectURL(new Blob([bytes], { type: mimeType }));
  return objectUrl;
}

/** Reads a workspace image through the host (resources/read) and returns an object URL, or null. */
async function readImage(uri: string): Promise<string | null> {
  try {
    const res = await app.readServerResource({ uri });
    const item = res.contents[0] as { blob?: string; mimeType?: string } | undefined;
    return item?.blob ? base64ToObjectUrl(item.blob, item.mimeType ?? "image/png") : null;
  } catch {
    return null;
  }
}

function renderHeader(image: ImageFacts, model: ViewModel): void {
  clear(els.header);
  els.header.append(truthLine(image), factsLine(image, model.run));
  const note = mismatchNote(image);
  if (note) els.header.append(note);
}

async function showImage(model: ViewModel, index: number): Promise<void> {
  const image = model.images[index];
  if (!image) return;
  renderHeader(image, model);
  els.stage.hidden = false;
  const size = { width: image.width ?? 0, height: image.height ?? 0 };
  const uri = image.uri ?? null;
  shownUri = uri;
  const preview = uri ? model.previews[uri] : undefined;
  if (preview) {
    zoom.show(preview, size, "preview");
    els.source.textContent = "preview";
  }
  if (uri && (image.bytes ?? Number.POSITIVE_INFINITY) <= config.fullMaxBytes) {
    els.source.textContent = preview ? "preview, loading the full file…" : "loading the full file…";
    const url = await readImage(uri);
    if (shownUri !== uri) return;
    if (url) {
      zoom.show(url, size, "full");
      els.source.textContent = "full file";
    } else
      els.source.textContent = preview ? "preview (the full file could not be read)" : "the file could not be read";
  } else if (uri) {
    els.source.textContent = "preview (the full file is too large to send through the chat; open it from its path)";
  }
  actions.update(image);
}

function renderPicker(model: ViewModel): void {
  clear(els.picker);
  els.picker.hidden = model.images.length < 2;
  model.images.forEach((_, i) => {
    const b = document.createElement("button");
    b.textContent = `image ${i + 1}`;
    b.addEventListener("click", () => void showImage(model, i));
    els.picker.append(b);
  });
}

async function show(result: ToolResultLike): Promise<void> {
  const model = viewModel(result);
  if (model.kind === "running" && model.jobId) {
    els.job.hidden = false;
    setStatus("");
    document.body.dataset.state = "running";
    clear(els.header);
    const size = model.requestedSize ?? pendingSize;
    els.header.append(
      h("div", { class: "truth" }, h("strong", {}, "Generating"), size ? `${size.width}x${size.height}` : ""),
    );
    await followJob(app, model, {
      status: (text) => {
        els.jobStatus.textContent = text;
      },
      partial: async (uri, size) => {
        const url = await readImage(uri);
        if (!url) return false;
        els.stage.hidden = false;
        zoom.show(url, size ?? pendingSize ?? (await naturalSize(url)), "partial");
        els.source.textContent = "partial image (still generating)";
        return true;
      },
      done: (final) => {
        els.job.hidden = true;
        void show(final);
      },
    });
    return;
  }
  current = model;
  els.job.hidden = true;
  if (model.kind !== "images") {
    setStatus(model.message || "No image in this result.");
    document.body.dataset.state = model.kind;
    return;
  }
  setStatus("");
  renderPicker(model);
  document.body.dataset.state = "images";
  await showImage(model, 0);
  document.body.dataset.state = "ready";
}

const actions = setupActions(app, config.tools, (result) => void show(result));

function applyTheme(theme: string | undefined): void {
  if (theme === "dark" || theme === "light") document.documentElement.dataset.theme = theme;
}

app.ontoolinput = (params) => {
  const size = params.arguments?.size;
  pendingSize = parseSize(size);
  if (!current) setStatus(`Generating${typeof size === "string" ? ` ${size}` : ""}…`);
};
app.ontoolresult = (params) => void show(params as ToolResultLike);
app.onhostcontextchanged = (params) => applyTheme(params.theme);
app.onteardown = async () => {
  if (objectUrl) URL.revokeObjectURL(objectUrl);
  return {};
};

await app.connect();
applyTheme(app.getHostContext()?.theme);
document.body.dataset.connected = "true";
