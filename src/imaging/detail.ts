// How much detail does an image really carry? Two traces of an enlargement, measured on the grey luminance at full
// resolution:
// 1. Resampling leaves a periodic pattern: an interpolated pixel is a fixed mix of its neighbours, and which mix
//    repeats with the scale factor. The energy of the second difference, summed per column (and per row), carries a
//    peak at frequency 1/s (folded into 0..0.5) — in both directions, since a resize scales both edges alike.
// 2. An enlarged image holds little energy above its source's Nyquist frequency: the power spectrum of its most
//    detailed tiles (Chebyshev rings: a resize acts on each axis) drops past the cutoff the peak implies.
// Both must agree before an image is called likely upscaled. A heuristic: it says so in its result.

import { InternalError } from "../errors.js";
import { MAX_INPUT_PIXELS } from "./admit.js";
import { undecodable } from "./inspect.js";
import { loadSharp } from "./sharp.js";

/** Power spectrum of `re` (N*N, row-major, imaginary part `im`), in place: radix-2 FFT on rows then columns. */
function fft1(re: Float64Array, im: Float64Array, offset: number, stride: number, n: number, tw: Float64Array) {
  // bit reversal
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const a = offset + i * stride;
      const b = offset + j * stride;
      const tr = re[a] as number;
      re[a] = re[b] as number;
      re[b] = tr;
      const ti = im[a] as number;
      im[a] = im[b] as number;
      im[b] = ti;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const half = len >> 1;
    const step = n / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < half; k++) {
        const wr = tw[2 * k * step] as number;
        const wi = tw[2 * k * step + 1] as number;
        const a = offset + (i + k) * stride;
        const b = offset + (i + k + half) * stride;
        const br = re[b] as number;
        const bi = im[b] as number;
        const xr = br * wr - bi * wi;
        const xi = br * wi + bi * wr;
        const ar = re[a] as number;
        const ai = im[a] as number;
        re[a] = ar + xr;
        im[a] = ai + xi;
        re[b] = ar - xr;
        im[b] = ai - xi;
      }
    }
  }
}

function twiddles(n: number): Float64Array {
  const tw = new Float64Array(n);
  for (let k = 0; k < n / 2; k++) {
    tw[2 * k] = Math.cos((-2 * Math.PI * k) / n);
    tw[2 * k + 1] = Math.sin((-2 * Math.PI * k) / n);
  }
  return tw;
}

export function fft2(re: Float64Array, im: Float64Array, n: number): void {
  const tw = twiddles(n);
  for (let r = 0; r < n; r++) fft1(re, im, r * n, 1, n, tw);
  for (let c = 0; c < n; c++) fft1(re, im, c, n, n, tw);
}

export interface GreyImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * The grey luminance at full resolution (alpha composited on mid-grey), one byte per pixel. Pixels that cannot be
 * decoded (a truncated file) are an input error naming `what`.
 */
export async function greyLuminance(input: string | Buffer, what = "the image"): Promise<GreyImage> {
  const sharp = await loadSharp();
  const { data, info } = await sharp(input, { sequentialRead: true, limitInputPixels: MAX_INPUT_PIXELS })
    .flatten({ background: "#808080" })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch((err: unknown) => {
      throw undecodable(err, what);
    });
  if (info.channels !== 1) throw new InternalError(`expected one grey channel, got ${info.channels}`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

interface Tile {
  x: number;
  y: number;
  score: number;
}

/** The `count` non-overlapping n*n tiles with the most fine detail (sum of squared neighbour differences). */
export function detailedTiles(img: GreyImage, n: number, count: number): Tile[] {
  const tiles: Tile[] = [];
  const cols = Math.floor(img.width / n);
  const rows = Math.floor(img.height / n);
  const x0 = Math.floor((img.width - cols * n) / 2);
  const y0 = Math.floor((img.height - rows * n) / 2);
  for (let ty = 0; ty < rows; ty++) {
    for (let tx = 0; tx < cols; tx++) {
      const x = x0 + tx * n;
      const y = y0 + ty * n;
      let score = 0;
      for (let j = y; j < y + n - 1; j += 2) {
        const row = j * img.width;
        for (let i = x; i < x + n - 1; i++) {
          const v = img.data[row + i] as number;
          const dx = (img.data[row + i + 1] as number) - v;
          const dy = (img.data[row + img.width + i] as number) - v;
          score += dx * dx + dy * dy;
        }
      }
      tiles.push({ x, y, score });
    }
  }
  return tiles
    .filter((t) => t.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, count);
}

/**
 * The mean power per Chebyshev frequency ring 0..n/2 (ring k = max(|kx|, |ky|)), each tile normalised to unit
 * non-DC power before the tiles are averaged, after a Hann window.
 */
export function ringSpectrum(img: GreyImage, tiles: Tile[], n: number): Float64Array {
  const half = n / 2;
  const window = new Float64Array(n);
  for (let i = 0; i < n; i++) window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / n);
  const counts = new Float64Array(half + 1);
  for (let v = 0; v < n; v++) {
    for (let u = 0; u < n; u++) counts[ringOf(u, v, n)] = (counts[ringOf(u, v, n)] as number) + 1;
  }
  const total = new Float64Array(half + 1);
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  for (const tile of tiles) {
    let mean = 0;
    for (let j = 0; j < n; j++) {
      const row = (tile.y + j) * img.width + tile.x;
      for (let i = 0; i < n; i++) mean += img.data[row + i] as number;
    }
    mean /= n * n;
    for (let j = 0; j < n; j++) {
      const row = (tile.y + j) * img.width + tile.x;
      const wj = window[j] as number;
      for (let i = 0; i < n; i++) re[j * n + i] = ((img.data[row + i] as number) - mean) * wj * (window[i] as number);
    }
    im.fill(0);
    fft2(re, im, n);
    const rings = new Float64Array(half + 1);
    let power = 0;
    for (let v = 0; v < n; v++) {
      for (let u = 0; u < n; u++) {
        const p = (re[v * n + u] as number) ** 2 + (im[v * n + u] as number) ** 2;
        const k = ringOf(u, v, n);
        rings[k] = (rings[k] as number) + p;
        if (k > 0) power += p;
      }
    }
    if (power <= 0) continue;
    for (let k = 0; k <= half; k++) total[k] = (total[k] as number) + (rings[k] as number) / power;
  }
  for (let k = 0; k <= half; k++) total[k] = (total[k] as number) / (counts[k] as number) / Math.max(1, tiles.length);
  return total;
}

function ringOf(u: number, v: number, n: number): number {
  const fu = u <= n / 2 ? u : n - u;
  const fv = v <= n / 2 ? v : n - v;
  return Math.max(fu, fv);
}

/** Energy of the second difference per column (axis "x") or per row ("y"), each normalised by its neighbourhood. */
export function residualProfile(img: GreyImage, axis: "x" | "y"): Float64Array {
  const { data, width, height } = img;
  const len = axis === "x" ? width : height;
  const energy = new Float64Array(len);
  if (axis === "x") {
    for (let y = 0; y < height; y++) {
      const row = y * width;
      for (let x = 1; x < width - 1; x++) {
        const r = 2 * (data[row + x] as number) - (data[row + x - 1] as number) - (data[row + x + 1] as number);
        energy[x] = (energy[x] as number) + r * r;
      }
    }
  } else {
    for (let y = 1; y < height - 1; y++) {
      const row = y * width;
      let sum = 0;
      for (let x = 0; x < width; x++) {
        const r = 2 * (data[row + x] as number) - (data[row - width + x] as number) - (data[row + width + x] as number);
        sum += r * r;
      }
      energy[y] = sum;
    }
  }
  // Detrend: each sample relative to the mean of its 33 neighbours, so content changes do not look periodic.
  const out = new Float64Array(len);
  const r = 16;
  for (let i = 1; i < len - 1; i++) {
    let sum = 0;
    let n = 0;
    for (let j = Math.max(1, i - r); j <= Math.min(len - 2, i + r); j++) {
      sum += energy[j] as number;
      n++;
    }
    const mean = sum / n;
    out[i] = mean > 0 ? (energy[i] as number) / mean - 1 : 0;
  }
  return out;
}

export interface Peak {
  /** Frequency in cycles per pixel, 0..0.5. */
  frequency: number;
  /** Peak power over the median power of the searched band. */
  strength: number;
}

/** The strongest periodicity of a profile between `lo` and 0.5 cycles per pixel (DFT at 1/len resolution). */
export function strongestPeriod(profile: Float64Array, lo = 0.18, exclude: (f: number) => boolean = () => false): Peak {
  const len = profile.length;
  const powers: number[] = [];
  let best: Peak = { frequency: 0, strength: 0 };
  let bestPower = 0;
  const first = Math.ceil(lo * len);
  const last = Math.floor(len / 2);
  for (let k = first; k <= last; k++) {
    const f = k / len;
    const power = powerAt(profile, f);
    powers.push(power);
    if (power > bestPower && !exclude(f)) {
      bestPower = power;
      best = { frequency: f, strength: 0 };
    }
  }
  const median = [...powers].sort((a, b) => a - b)[Math.floor(powers.length / 2)] ?? 0;
  return { frequency: best.frequency, strength: median > 0 ? bestPower / median : 0 };
}

/** Power of a profile at one frequency (cycles per pixel): Goertzel, one DFT bin in O(len) without a table. */
function powerAt(profile: Float64Array, frequency: number): number {
  const len = profile.length;
  const coeff = 2 * Math.cos(2 * Math.PI * frequency);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < len; i++) {
    const s0 = (profile[i] as number) + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

/** A peak this many times the median power is a resampling trace; native images stay far below (about 5-30). */
export const PEAK_THRESHOLD = 200;

const EIGHTHS = [0.25, 0.375, 0.5];

/**
 * JPEG's 8x8 blocks leave peaks at every multiple of 1/8 cycle per pixel. When the 1/8 peak is there, multiples of
 * 1/8 count only when one of them dominates the others tenfold (an enlargement by exactly 2 in a JPEG file).
 */
function blockExclusion(profile: Float64Array): (f: number) => boolean {
  const len = profile.length;
  const near = (f: number, g: number) => Math.abs(f - g) <= 1.5 / len;
  const base = powerAt(profile, 0.125);
  const others = EIGHTHS.map((f) => powerAt(profile, f));
  const reference = [0.1, 0.11, 0.14, 0.15].map((f) => powerAt(profile, f)).sort((a, b) => a - b)[1] ?? 0;
  if (!(base > 20 * reference)) return () => false;
  const top = Math.max(...others);
  const second = [...others].sort((a, b) => b - a)[1] ?? 0;
  const dominant = top > 10 * second ? EIGHTHS[others.indexOf(top)] : undefined;
  return (f) => EIGHTHS.some((g) => near(f, g) && g !== dominant);
}

export interface AxisTrace {
  /** Folded frequency of the strongest periodicity, cycles per pixel. */
  frequency: number;
  strength: number;
}

/** The two scale factors a folded frequency allows: 1/(1-f) (an enlargement under 2x) and 1/f (2x and more). */
export function factorsFor(frequency: number): [number, number] {
  return [1 / (1 - frequency), 1 / frequency];
}

export function axisTrace(img: GreyImage, axis: "x" | "y"): AxisTrace {
  const profile = residualProfile(img, axis);
  const peak = strongestPeriod(profile, 0.18, blockExclusion(profile));
  return { frequency: peak.frequency, strength: peak.strength };
}

/** Mean log10 power of the ring spectrum over rings [from, to]. */
function bandLevel(rings: Float64Array, from: number, to: number): number {
  let sum = 0;
  let n = 0;
  for (let k = Math.max(1, Math.round(from)); k <= Math.min(rings.length - 1, Math.round(to)); k++) {
    sum += Math.log10(Math.max(1e-30, rings[k] as number));
    n++;
  }
  return n ? sum / n : 0;
}

/**
 * Between the two factors a folded peak allows, the larger one (the smaller source) only when the spectrum between
 * the two cutoffs is empty: more than 2.5 decades below the band just under the lower cutoff.
 */
export function chooseFactor(rings: Float64Array, factors: [number, number]): number {
  const [small, large] = factors;
  if (large - small < 0.05) return small;
  const half = rings.length - 1;
  const kLarge = half / large;
  const kSmall = half / small;
  const below = bandLevel(rings, 0.6 * kLarge, 0.85 * kLarge);
  const between = bandLevel(rings, 1.15 * kLarge, 0.87 * kSmall);
  return below - between > 2.5 ? large : small;
}

export interface DetailEstimate {
  heuristic: true;
  likely_upscaled: boolean;
  /** The smallest size that carries the same detail: the estimated source of an enlargement, else the image's own. */
  effective_width: number;
  effective_height: number;
  /** The estimated scale factor (1 when no enlargement trace was found). */
  factor: number;
  /** Strength of the resampling trace (the weaker axis), in multiples of the median; under 200 is no trace. */
  trace_strength: number;
  note: string;
}

const NOTE =
  "Heuristic: an enlargement leaves a periodic resampling pattern and no detail above its source's resolution; a " +
  "soft or heavily compressed native image can look the same, and an AI upscaler can hide it.";

/** Estimates the effective resolution of an image from its detail. Runs on the grey luminance at full resolution. */
export async function estimateDetail(input: string | Buffer, what?: string): Promise<DetailEstimate> {
  const img = await greyLuminance(input, what);
  const native: DetailEstimate = {
    heuristic: true,
    likely_upscaled: false,
    effective_width: img.width,
    effective_height: img.height,
    factor: 1,
    trace_strength: 0,
    note: NOTE,
  };
  if (img.width < 64 || img.height < 64) return { ...native, note: `${NOTE} The image is too small to judge.` };
  const x = axisTrace(img, "x");
  const y = axisTrace(img, "y");
  const strength = Math.round(Math.min(x.strength, y.strength));
  const [sx, sy] = [factorsFor(x.frequency), factorsFor(y.frequency)];
  const agree = Math.abs(sx[0] - sy[0]) / sx[0] < 0.03;
  if (strength < PEAK_THRESHOLD || !agree) return { ...native, trace_strength: strength };
  let factor = (sx[0] + sy[0]) / 2;
  const alternative = (sx[1] + sy[1]) / 2;
  if (alternative - factor > 0.05) {
    const n = Math.min(256, 2 ** Math.floor(Math.log2(Math.min(img.width, img.height) / 2)));
    factor = chooseFactor(ringSpectrum(img, detailedTiles(img, n, 16), n), [factor, alternative]);
  }
  const width = Math.round(img.width / (factor === alternative ? (sx[1] as number) : (sx[0] as number)));
  const height = Math.round(img.height / (factor === alternative ? (sy[1] as number) : (sy[0] as number)));
  return {
    ...native,
    likely_upscaled: true,
    effective_width: width,
    effective_height: height,
    factor: Math.round(factor * 1000) / 1000,
    trace_strength: strength,
  };
}
