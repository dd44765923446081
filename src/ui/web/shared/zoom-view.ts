// The image stage of the viewer and the gallery: fit / 100%, zoom around the pointer (ctrl + wheel, pinch, +/-),
// pan by dragging, by the wheel and by the arrow keys. State is mirrored into data attributes for tests.

import { actualSize, type Box, fitState, pan, type ZoomState, zoomAt } from "./zoom.js";

export type ImageSource = "preview" | "full" | "partial" | "thumbnail";

export class ZoomView {
  private state: ZoomState = { scale: 1, x: 0, y: 0 };
  private size: Box = { width: 0, height: 0 };
  private mode: "fit" | "free" = "fit";
  private drag: { x: number; y: number; id: number } | null = null;
  onchange: ((state: ZoomState, mode: "fit" | "free") => void) | null = null;

  constructor(
    private readonly viewport: HTMLElement,
    private readonly img: HTMLImageElement,
  ) {
    viewport.tabIndex = 0;
    viewport.addEventListener("wheel", (e) => this.onWheel(e), { passive: false });
    viewport.addEventListener("pointerdown", (e) => this.onPointerDown(e));
    viewport.addEventListener("pointermove", (e) => this.onPointerMove(e));
    viewport.addEventListener("pointerup", (e) => this.onPointerUp(e));
    viewport.addEventListener("pointercancel", (e) => this.onPointerUp(e));
    viewport.addEventListener("keydown", (e) => this.onKey(e));
    viewport.addEventListener("dblclick", () => (this.mode === "fit" ? this.actual() : this.fit()));
    new ResizeObserver(() => (this.mode === "fit" ? this.fit() : this.apply(this.state))).observe(viewport);
    img.draggable = false;
  }

  /** Shows `src` stretched to the measured size; a new size resets to fit, the same size keeps the view. */
  show(src: string, size: Box, source: ImageSource): void {
    const changed = size.width !== this.size.width || size.height !== this.size.height;
    this.size = size;
    this.img.src = src;
    this.viewport.dataset.source = source;
    this.viewport.dataset.width = String(size.width);
    this.viewport.dataset.height = String(size.height);
    if (changed || this.mode === "fit") this.fit();
    else this.apply(this.state);
  }

  fit(): void {
    this.mode = "fit";
    this.apply(fitState(this.size, this.view()));
  }

  actual(): void {
    this.mode = "free";
    this.apply(actualSize(this.state, this.size, this.view()));
  }

  zoom(factor: number, at?: { x: number; y: number }): void {
    const view = this.view();
    this.mode = "free";
    this.apply(zoomAt(this.state, factor, at ?? { x: view.width / 2, y: view.height / 2 }, this.size, view));
  }

  panBy(dx: number, dy: number): void {
    this.mode = "free";
    this.apply(pan(this.state, dx, dy, this.size, this.view()));
  }

  private view(): Box {
    return { width: this.viewport.clientWidth, height: this.viewport.clientHeight };
  }

  private apply(next: ZoomState): void {
    this.state = next;
    const style = this.img.style;
    style.width = `${this.size.width * next.scale}px`;
    style.height = `${this.size.height * next.scale}px`;
    style.transform = `translate(${next.x}px, ${next.y}px)`;
    style.imageRendering = next.scale >= 2 ? "pixelated" : "auto";
    this.viewport.dataset.scale = String(Math.round(next.scale * 10_000) / 10_000);
    this.viewport.dataset.mode = this.mode;
    this.onchange?.(next, this.mode);
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault();
    const rect = this.viewport.getBoundingClientRect();
    if (e.ctrlKey || e.metaKey)
      this.zoom(Math.exp(-e.deltaY / 300), { x: e.clientX - rect.left, y: e.clientY - rect.top });
    else if (e.shiftKey) this.panBy(-e.deltaY, 0);
    else this.panBy(-e.deltaX, -e.deltaY);
  }

  private onPointerDown(e: PointerEvent): void {
    if (e.button !== 0) return;
    this.drag = { x: e.clientX, y: e.clientY, id: e.pointerId };
    this.viewport.setPointerCapture(e.pointerId);
    this.viewport.classList.add("dragging");
  }

  private onPointerMove(e: PointerEvent): void {
    if (!this.drag || this.drag.id !== e.pointerId) return;
    this.panBy(e.clientX - this.drag.x, e.clientY - this.drag.y);
    this.drag = { ...this.drag, x: e.clientX, y: e.clientY };
  }

  private onPointerUp(e: PointerEvent): void {
    if (!this.drag || this.drag.id !== e.pointerId) return;
    this.drag = null;
    this.viewport.classList.remove("dragging");
  }

  private onKey(e: KeyboardEvent): void {
    const step = e.shiftKey ? 200 : 50;
    const keys: Record<string, () => void> = {
      ArrowLeft: () => this.panBy(step, 0),
      ArrowRight: () => this.panBy(-step, 0),
      ArrowUp: () => this.panBy(0, step),
      ArrowDown: () => this.panBy(0, -step),
      "+": () => this.zoom(1.25),
      "=": () => this.zoom(1.25),
      "-": () => this.zoom(0.8),
      "0": () => this.fit(),
      f: () => this.fit(),
      "1": () => this.actual(),
    };
    const action = keys[e.key];
    if (!action) return;
    e.preventDefault();
    action();
  }
}
