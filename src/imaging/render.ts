// Deterministic pictures for the offline simulator: exactly the requested size and format, with the size and the
// prompt drawn on them so a person can tell images apart.

import { createHash } from "node:crypto";
import { loadSharp } from "./sharp.js";

export interface RenderRequest {
  width: number;
  height: number;
  format: "png" | "jpeg" | "webp" | "gif";
  prompt: string;
  caption: string;
  transparent?: boolean;
  compression?: number;
  /** Photographic noise makes realistically large files (a model's 4K PNG is 10-25 MB). */
  noise?: boolean;
  /** A blurred, lower-detail rendering for partial images. */
  blur?: number;
  /** gif: an animation of this many frames (each with a marker that moves), each shown `frameDurationMs`. */
  frames?: number;
  frameDurationMs?: number;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`).replace(/\p{Cc}/gu, " ");
}

function colourFor(prompt: string): { r: number; g: number; b: number } {
  const h = createHash("sha256").update(prompt).digest();
  // Keep colours mid-dark so white text stays readable.
  return { r: 30 + ((h[0] ?? 0) % 140), g: 30 + ((h[1] ?? 0) % 140), b: 30 + ((h[2] ?? 0) % 140) };
}

export async function renderPlaceholder(req: RenderRequest): Promise<Buffer> {
  const sharp = await loadSharp();
  const { width, height } = req;
  const base = colourFor(req.prompt);
  const font = Math.max(12, Math.round(Math.min(width, height) / 9));
  const small = Math.max(10, Math.round(font / 3));
  const prompt = req.prompt.length > 80 ? `${req.prompt.slice(0, 77)}…` : req.prompt;
  const border = Math.max(2, Math.round(Math.min(width, height) / 200));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <rect x="${border / 2}" y="${border / 2}" width="${width - border}" height="${height - border}" fill="none" stroke="white" stroke-opacity="0.6" stroke-width="${border}"/>
  <line x1="0" y1="0" x2="${width}" y2="${height}" stroke="white" stroke-opacity="0.15" stroke-width="${border}"/>
  <line x1="${width}" y1="0" x2="0" y2="${height}" stroke="white" stroke-opacity="0.15" stroke-width="${border}"/>
  <text x="50%" y="45%" text-anchor="middle" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="white">${width}x${height}</text>
  <text x="50%" y="${45 + (100 * font) / height}%" text-anchor="middle" font-family="DejaVu Sans, sans-serif" font-size="${small}" fill="white">${escapeXml(prompt)}</text>
  <text x="50%" y="${45 + (180 * font) / height}%" text-anchor="middle" font-family="DejaVu Sans, sans-serif" font-size="${Math.round(small * 0.7)}" fill="white" fill-opacity="0.8">${escapeXml(req.caption)}</text>
</svg>`;
  const channels = req.transparent ? 4 : 3;
  // Composite to raw pixels first: compositing adds an alpha channel, which an opaque image must not carry.
  const { data, info } = await sharp({
    create: {
      width,
      height,
      channels,
      background: req.transparent ? { ...base, alpha: 0 } : base,
      ...(req.noise ? { noise: { type: "gaussian" as const, mean: 128, sigma: 40 } } : {}),
    },
  })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .raw()
    .toBuffer({ resolveWithObject: true });
  let image = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  if (!req.transparent) image = image.removeAlpha();
  if (req.blur) image = image.blur(req.blur);
  const quality = req.compression === undefined ? 90 : Math.max(1, 100 - req.compression);
  if (req.format === "jpeg") return image.jpeg({ quality }).toBuffer();
  if (req.format === "webp") return image.webp({ quality }).toBuffer();
  if (req.format === "gif") return animatedGif(sharp, await image.raw().toBuffer({ resolveWithObject: true }), req);
  return image.png({ compressionLevel: req.noise ? 1 : 6 }).toBuffer();
}

/** The frames stacked as pages, each with a square marker at its own place along the bottom edge. */
async function animatedGif(
  sharp: Awaited<ReturnType<typeof loadSharp>>,
  still: { data: Buffer; info: { width: number; height: number; channels: number } },
  req: RenderRequest,
): Promise<Buffer> {
  const frames = Math.max(1, req.frames ?? 1);
  const { width, height, channels } = still.info;
  const stack = Buffer.alloc(still.data.length * frames);
  const side = Math.max(2, Math.floor(Math.min(width, height) / 16));
  for (let f = 0; f < frames; f++) {
    const page = stack.subarray(f * still.data.length, (f + 1) * still.data.length);
    still.data.copy(page);
    const left = Math.floor(((width - side) * f) / Math.max(1, frames - 1));
    for (let y = height - side; y < height; y++) {
      page.fill(255, (y * width + left) * channels, (y * width + left + side) * channels);
    }
  }
  const raw = { width, height: height * frames, channels: channels as 3 | 4, pageHeight: height };
  return sharp(stack, { raw })
    .gif({ loop: 0, delay: Array.from({ length: frames }, () => req.frameDurationMs ?? 200) })
    .toBuffer();
}

/** Shrink an image to other dimensions: the simulator's stand-in for a gateway that silently downscales. */
export async function resizeTo(buffer: Buffer, width: number, height: number): Promise<Buffer> {
  const sharp = await loadSharp();
  const meta = await sharp(buffer).metadata();
  return sharp(buffer)
    .resize({ width, height, fit: "fill" })
    .toFormat(meta.format === "jpeg" || meta.format === "webp" || meta.format === "gif" ? meta.format : "png")
    .toBuffer();
}
