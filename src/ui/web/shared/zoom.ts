// Fit / 100% zoom and pan as pure arithmetic: where the image's top-left corner sits in the viewport and at what
// scale. The image size is always the measured size of the saved file, whatever pixels are on screen (a preview is
// stretched to it), so 100% means one pixel of the file per CSS pixel.

export interface Box {
  width: number;
  height: number;
}

export interface ZoomState {
  scale: number;
  x: number;
  y: number;
}

export const MAX_SCALE = 8;

function minScale(image: Box, view: Box): number {
  return Math.min(fitScale(image, view), 1) / 2;
}

export function fitScale(image: Box, view: Box): number {
  if (image.width <= 0 || image.height <= 0) return 1;
  return Math.min(view.width / image.width, view.height / image.height, 1);
}

/** Keeps the image on screen: centred on an axis where it is smaller than the view, edge to edge where larger. */
export function clamp(state: ZoomState, image: Box, view: Box): ZoomState {
  const axis = (offset: number, size: number, viewSize: number): number => {
    const scaled = size * state.scale;
    if (scaled <= viewSize) return Math.round((viewSize - scaled) / 2);
    return Math.round(Math.min(0, Math.max(viewSize - scaled, offset)));
  };
  return { scale: state.scale, x: axis(state.x, image.width, view.width), y: axis(state.y, image.height, view.height) };
}

export function fitState(image: Box, view: Box): ZoomState {
  return clamp({ scale: fitScale(image, view), x: 0, y: 0 }, image, view);
}

/** Zooms by `factor` keeping the image point under `at` (viewport coordinates) where it is. */
export function zoomAt(state: ZoomState, factor: number, at: { x: number; y: number }, image: Box, view: Box) {
  const scale = Math.min(MAX_SCALE, Math.max(minScale(image, view), state.scale * factor));
  const k = scale / state.scale;
  return clamp({ scale, x: at.x - (at.x - state.x) * k, y: at.y - (at.y - state.y) * k }, image, view);
}

/** 100%: one file pixel per CSS pixel, centred on what was at the middle of the view. */
export function actualSize(state: ZoomState, image: Box, view: Box): ZoomState {
  const centre = { x: view.width / 2, y: view.height / 2 };
  return zoomAt(state, 1 / state.scale, centre, image, view);
}

export function pan(state: ZoomState, dx: number, dy: number, image: Box, view: Box): ZoomState {
  return clamp({ scale: state.scale, x: state.x + dx, y: state.y + dy }, image, view);
}
