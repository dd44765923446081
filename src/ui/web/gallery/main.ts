// The workspace gallery: every image of the manifest, newest first, as thumbnails (loaded lazily), with filters,
// a details panel (the truth line, the facts and the production record) and the full file in the zoom view.

import { byId, clear, h } from "../shared/dom.js";
import { factsLine, mismatchNote, truthLine } from "../shared/render.js";
import { ZoomView } from "../shared/zoom-view.js";
import { type Entry, type Filter, imageFacts, matches, modelsOf, runFacts } from "./filters.js";

function readEntries(): Entry[] {
  try {
    const data = JSON.parse(byId("pw-config").textContent || "{}") as { entries?: Entry[] };
    return Array.isArray(data.entries) ? data.entries : [];
  } catch {
    return [];
  }
}

const entries = readEntries();
const grid = byId("grid");
const details = byId("details");
const full = byId("full");
const zoom = new ZoomView(byId("viewport"), byId<HTMLImageElement>("image"));
const controls = {
  status: byId<HTMLSelectElement>("f-status"),
  experimental: byId<HTMLInputElement>("f-experimental"),
  upscaled: byId<HTMLInputElement>("f-upscaled"),
  model: byId<HTMLSelectElement>("f-model"),
  from: byId<HTMLInputElement>("f-from"),
  to: byId<HTMLInputElement>("f-to"),
};
let selected: Entry | null = null;
const cards = new Map<string, HTMLButtonElement>();

const enc = (name: string) => encodeURIComponent(name);

function card(entry: Entry): HTMLButtonElement {
  const facts = imageFacts(entry);
  const b = h(
    "button",
    {
      class: "card",
      type: "button",
      "data-testid": "card",
      "data-file": entry.file,
      title: entry.prompt ?? entry.file,
    },
    h("img", { src: `/gallery/thumbs/${enc(entry.file)}`, loading: "lazy", decoding: "async", alt: entry.file }),
    truthLine(facts),
    h("span", { class: "when" }, `${entry.created_at.slice(0, 16).replace("T", " ")} · ${entry.model ?? ""}`),
  );
  b.addEventListener("click", () => select(entry));
  return b;
}

function currentFilter(): Filter {
  return {
    status: controls.status.value as Filter["status"],
    experimental: controls.experimental.checked,
    upscaled: controls.upscaled.checked,
    model: controls.model.value,
    from: controls.from.value,
    to: controls.to.value,
  };
}

function applyFilter(): void {
  const filter = currentFilter();
  let shown = 0;
  for (const entry of entries) {
    const visible = matches(entry, filter);
    const el = cards.get(entry.file);
    if (el) el.hidden = !visible;
    if (visible) shown++;
  }
  byId("count").textContent =
    shown === entries.length ? `${entries.length} images` : `${shown} of ${entries.length} images`;
  document.body.dataset.shown = String(shown);
}

function select(entry: Entry): void {
  selected = entry;
  for (const [file, el] of cards) el.setAttribute("aria-pressed", String(file === entry.file));
  const body = byId("details-body");
  clear(body);
  const facts = imageFacts(entry);
  body.append(
    truthLine(facts),
    factsLine(facts, runFacts(entry)),
    mismatchNote(facts) ?? "",
    h("p", { class: "prompt" }, entry.prompt ?? ""),
    h("p", { class: "status" }, `${entry.file} · ${entry.created_at}`),
  );
  byId("details-record").textContent = JSON.stringify(entry, null, 2);
  details.hidden = false;
  details.dataset.file = entry.file;
}

function openFull(): void {
  if (!selected) return;
  const facts = imageFacts(selected);
  const size = { width: facts.width ?? 0, height: facts.height ?? 0 };
  full.hidden = false;
  byId("full-name").textContent = selected.file;
  zoom.show(`/gallery/thumbs/${enc(selected.file)}`, size, "thumbnail");
  const file = selected.file;
  const img = new Image();
  img.onload = () => {
    if (selected?.file === file && !full.hidden) zoom.show(img.src, size, "full");
  };
  img.src = `/images/${enc(file)}`;
  byId("viewport").focus();
}

function setup(): void {
  for (const model of modelsOf(entries)) controls.model.append(h("option", { value: model }, model));
  const fragment = document.createDocumentFragment();
  for (const entry of entries) {
    const el = card(entry);
    cards.set(entry.file, el);
    fragment.append(el);
  }
  grid.append(fragment);
  if (entries.length === 0) grid.append(h("p", { class: "status" }, "No images in the workspace manifest yet."));
  for (const el of Object.values(controls)) el.addEventListener("change", applyFilter);
  byId("close-details").addEventListener("click", () => {
    details.hidden = true;
  });
  byId("open-full").addEventListener("click", openFull);
  byId("close-full").addEventListener("click", () => {
    full.hidden = true;
  });
  byId("fit").addEventListener("click", () => zoom.fit());
  byId("actual").addEventListener("click", () => zoom.actual());
  zoom.onchange = (state) => {
    byId("zoom-label").textContent = `${Math.round(state.scale * 100)}%`;
  };
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") full.hidden = true;
  });
  applyFilter();
  document.body.dataset.state = "ready";
}

setup();
