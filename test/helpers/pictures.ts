// Deterministic test pictures built with sharp and a seeded generator: white noise, photo-like textures (noise blurred
// at several scales plus fine grain, as a camera records it) and a gradient with dense text. And the same content made
// smaller and enlarged back, as an upscaler would deliver it.

import sharp from "sharp";

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussianField(length: number, seed: number): Float32Array {
  const next = seeded(seed);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.sqrt(-2 * Math.log(next() || 1e-9)) * Math.cos(2 * Math.PI * next());
  return out;
}

const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

/** One box-blur pass along rows or columns (three passes approximate a Gaussian). */
function boxPass(src: Float32Array, dst: Float32Array, w: number, h: number, r: number, rows: boolean): void {
  const [lines, len, step, lineStep] = rows ? [h, w, 1, w] : [w, h, w, 1];
  for (let line = 0; line < lines; line++) {
    const o = line * lineStep;
    const at = (i: number) => src[o + Math.min(len - 1, Math.max(0, i)) * step] as number;
    let acc = 0;
    for (let i = -r; i <= r; i++) acc += at(i);
    for (let i = 0; i < len; i++) {
      dst[o + i * step] = acc / (2 * r + 1);
      acc += at(i + r + 1) - at(i - r);
    }
  }
}

function blurred(field: Float32Array, w: number, h: number, sigma: number): Float32Array {
  const r = Math.max(1, Math.round((Math.sqrt(4 * sigma * sigma + 1) - 1) / 2));
  const a = field;
  const b = new Float32Array(field.length);
  for (let pass = 0; pass < 3; pass++) {
    boxPass(a, b, w, h, r, true);
    boxPass(b, a, w, h, r, false);
  }
  let sd = 0;
  for (let i = 0; i < a.length; i += 97) sd += (a[i] as number) ** 2;
  sd = Math.sqrt(sd / Math.ceil(a.length / 97)) || 1;
  for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) / sd;
  return a;
}

function rgbPng(w: number, h: number, value: (i: number) => [number, number, number]): Promise<Buffer> {
  const rgb = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    const [r, g, b] = value(i);
    rgb[3 * i] = clamp(r);
    rgb[3 * i + 1] = clamp(g);
    rgb[3 * i + 2] = clamp(b);
  }
  return sharp(rgb, { raw: { width: w, height: h, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toBuffer();
}

export function noisePicture(w: number, h: number, seed: number): Promise<Buffer> {
  const a = gaussianField(w * h, seed);
  const b = gaussianField(w * h, seed + 1);
  return rgbPng(w, h, (i) => [128 + 40 * (a[i] as number), 128 + 40 * (b[i] as number), 128 + 20 * (a[i] as number)]);
}

/** Structures at several scales (blurred noise) plus sensor grain: detail all the way to the pixel. */
export function photoLikePicture(w: number, h: number, seed: number, grain = 5): Promise<Buffer> {
  const layers: [number, number][] = [
    [24, 55],
    [6, 35],
    [1.5, 22],
  ];
  const sum = new Float32Array(w * h);
  for (const [i, [sigma, amplitude]] of layers.entries()) {
    const layer = blurred(gaussianField(w * h, seed * 11 + i), w, h, sigma);
    for (let k = 0; k < sum.length; k++) sum[k] = (sum[k] as number) + (layer[k] as number) * amplitude;
  }
  const g = gaussianField(w * h, seed * 11 + 7);
  return rgbPng(w, h, (i) => {
    const v = 128 + (sum[i] as number) + (g[i] as number) * grain;
    return [v * 1.05, v, v * 0.9 + 10];
  });
}

const WORDS = ["pixel", "render", "master", "upscale", "native", "gradient", "verify", "detail", "lanczos", "spectrum"];

/** A diagonal gradient under dense lines of small text. */
export function textPicture(w: number, h: number, seed: number): Promise<Buffer> {
  const next = seeded(seed);
  const size = Math.round(h / 60);
  let lines = "";
  for (let y = size * 2; y < h; y += Math.round(size * 1.6)) {
    let text = "";
    while (text.length < (w / size) * 1.6) text += `${WORDS[Math.floor(next() * WORDS.length)]} `;
    const shade = () => Math.floor(next() * 80);
    lines += `<text x="${Math.round(next() * size)}" y="${y}" font-family="DejaVu Sans" font-size="${size}" fill="rgb(${shade()},${shade()},${shade()})">${text}</text>`;
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#f4e3c1"/><stop offset="1" stop-color="#9ec5e8"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/>${lines}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** The same content made at a smaller size, then enlarged back to w x h (as an upscaler delivers it). */
export async function enlargedFrom(
  picture: Buffer,
  source: { width: number; height: number },
  target: { width: number; height: number },
): Promise<Buffer> {
  const small = await sharp(picture)
    .resize({ ...source, fit: "fill" })
    .png()
    .toBuffer();
  return sharp(small)
    .resize({ ...target, fit: "fill" })
    .png({ compressionLevel: 1 })
    .toBuffer();
}
