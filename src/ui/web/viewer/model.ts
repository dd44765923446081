// What the viewer reads out of a tool result. Pure: no DOM. Tolerant of every result shape the image tools return
// (generate_image, verify_image by path or job, upscale_image), and of fields a newer server may add.

import type { ImageFacts, RunFacts } from "../shared/truth.js";

export interface ContentBlock {
  type: string;
  data?: string;
  mimeType?: string;
  uri?: string;
  text?: string;
}

export interface ToolResultLike {
  content?: ContentBlock[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

export interface ViewModel {
  kind: "images" | "running" | "failed" | "error" | "empty";
  images: ImageFacts[];
  run: RunFacts;
  /** Inline preview (a data: URL) per image uri, from the image block that precedes its resource link. */
  previews: Record<string, string>;
  jobId: string | null;
  message: string;
  requestedSize: { width: number; height: number } | null;
  /** Partial images of a running job (pixelwright://images/... uris), oldest first. */
  partials: string[];
}

function previewsOf(content: ContentBlock[]): Record<string, string> {
  const previews: Record<string, string> = {};
  let last: string | null = null;
  for (const block of content) {
    if (block.type === "image" && block.data && block.mimeType) last = `data:${block.mimeType};base64,${block.data}`;
    else if (block.type === "resource_link" && block.uri) {
      if (last) previews[block.uri] = last;
      last = null;
    }
  }
  return previews;
}

export function parseSize(size: unknown): { width: number; height: number } | null {
  const m = typeof size === "string" ? /^(\d+)x(\d+)$/.exec(size) : null;
  return m ? { width: Number(m[1]), height: Number(m[2]) } : null;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function num(v: unknown): number | null | undefined {
  return typeof v === "number" ? v : v === null ? null : undefined;
}

function imagesOf(sc: Record<string, unknown>): ImageFacts[] {
  if (Array.isArray(sc.images)) return sc.images as ImageFacts[];
  if (sc.image && typeof sc.image === "object") return [sc.image as ImageFacts];
  return [];
}

function textOf(content: ContentBlock[]): string {
  return content
    .filter((b) => b.type === "text" && b.text)
    .map((b) => (b.text as string).split("\n")[0])
    .join(" ");
}

export function viewModel(result: ToolResultLike): ViewModel {
  const content = Array.isArray(result.content) ? result.content : [];
  const sc = result.structuredContent ?? {};
  const requested = (sc.requested ?? {}) as Record<string, unknown>;
  const run: RunFacts = {
    provider: str(sc.provider),
    model: str(sc.model),
    cost_usd: num(sc.cost_usd),
    // A generation result leaves a null estimate out: absent there means "cost unknown".
    cost_estimate_usd: num(sc.cost_estimate_usd) ?? (typeof sc.job_id === "string" ? null : undefined),
    elapsed_ms: num(sc.elapsed_ms),
    decision: str(sc.decision) ?? null,
  };
  const images = imagesOf(sc);
  const status = str(sc.status);
  const kind: ViewModel["kind"] = result.isError
    ? "error"
    : status === "running"
      ? "running"
      : status === "failed"
        ? "failed"
        : images.length
          ? "images"
          : "empty";
  return {
    kind,
    images,
    run,
    previews: previewsOf(content),
    jobId: str(sc.job_id) ?? null,
    message: str(sc.message) ?? textOf(content),
    requestedSize: parseSize(requested.size),
    partials: Array.isArray(sc.partial_images)
      ? ((sc.partial_images as unknown[]).filter((u) => typeof u === "string") as string[])
      : [],
  };
}

/** The largest valid gpt-image-2 size of the same shape (within 1%), when it is larger than the image; else null. */
export function upscaleTarget(width: number, height: number): { width: number; height: number } | null {
  if (width <= 0 || height <= 0) return null;
  const ratio = width / height;
  if (Math.max(ratio, 1 / ratio) > 3) return null;
  for (let w = 3840; w >= 16; w -= 16) {
    const h = Math.round(w / ratio / 16) * 16;
    if (h < 16 || h > 3840 || w * h > 8_294_400 || w * h < 655_360) continue;
    if (Math.abs(w / h - ratio) / ratio > 0.01) continue;
    return w >= width && h >= height && (w > width || h > height) ? { width: w, height: h } : null;
  }
  return null;
}
