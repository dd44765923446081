// The truth line and the facts line as DOM, the same in the viewer and the gallery's details panel.

import { h } from "./dom.js";
import { factsOf, type ImageFacts, type RunFacts, truthOf } from "./truth.js";

export function truthLine(image: ImageFacts): HTMLElement {
  const truth = truthOf(image);
  return h(
    "div",
    { class: "truth", "data-testid": "truth" },
    h("strong", { class: "measured", "data-testid": "measured" }, truth.measured),
    truth.requested ? h("span", { class: "requested", "data-testid": "requested" }, truth.requested) : null,
    ...truth.badges.map((b) => h("span", { class: `badge ${b.kind}`, "data-badge": b.key }, b.text)),
  );
}

export function factsLine(image: ImageFacts, run: RunFacts): HTMLElement {
  return h(
    "div",
    { class: "facts", "data-testid": "facts" },
    ...factsOf(image, run).map((f) => h("span", { "data-fact": f.label, title: f.label }, f.value)),
  );
}

export function mismatchNote(image: ImageFacts): HTMLElement | null {
  const note = truthOf(image).note;
  return note ? h("p", { class: "note bad", "data-testid": "mismatch-note" }, note) : null;
}
