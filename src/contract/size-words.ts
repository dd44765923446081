// A prompt that asks for a resolution in words ("in 4K", "1080p", "ultra HD") without a size argument: the prompt
// never sets the resolution (SPEC section 1), so the request says which size and preset would make it. Pure.

import { PRESETS } from "./presets.js";

interface Asked {
  /** What the words asked for, as the caveat names it. */
  label: string;
  landscape: string;
  portrait: string;
  square?: string;
  /** Said when the words ask for more than any size can give. */
  beyond?: string;
}

// Each is matched as a whole word, case-insensitively; the first match in this order wins (8K before 4K, ...).
const WORDS: readonly { pattern: RegExp; asked: Asked }[] = [
  {
    pattern: /\b(8k|4320p|8k\s*uhd)\b/i,
    asked: {
      label: "8K",
      landscape: "4k-landscape",
      portrait: "4k-portrait",
      square: "4k-square",
      beyond: "8K is beyond every model's limit (3840 px on the long edge): 4K is the most a size can ask for",
    },
  },
  {
    pattern: /\b(4k|2160p|uhd|ultra[\s-]*hd)\b/i,
    asked: { label: "4K", landscape: "4k-landscape", portrait: "4k-portrait", square: "4k-square" },
  },
  {
    pattern: /\b(2k|1440p|qhd|quad[\s-]*hd)\b/i,
    asked: { label: "2K", landscape: "2k-landscape", portrait: "2k-portrait", square: "square-master" },
  },
  {
    pattern: /\b(1080p|full[\s-]*hd|fhd)\b/i,
    asked: { label: "1080p", landscape: "hd-landscape", portrait: "hd-portrait" },
  },
  {
    pattern: /\b(high|full|maximum|max)[\s-]+resolution\b/i,
    asked: { label: "a high resolution", landscape: "4k-landscape", portrait: "4k-portrait", square: "4k-square" },
  },
];

const PORTRAIT = /\b(portrait|vertical|tall|phone\s+wallpaper|9:16|story)\b/i;
const SQUARE = /\b(square|1:1)\b/i;

export interface SizeFromWords {
  /** The words that asked ("4K"). */
  asked: string;
  preset: string;
  size: string;
  caveat: string;
}

/**
 * What a prompt asks for in words when no size was given: the size and preset that would make it, and the caveat
 * that says so. null when the prompt names no resolution (or a size was given).
 */
export function sizeFromWords(prompt: string, sizeGiven: boolean, madeSize: string): SizeFromWords | null {
  if (sizeGiven) return null;
  const hit = WORDS.find((w) => w.pattern.test(prompt));
  if (!hit) return null;
  const { asked } = hit;
  const name =
    SQUARE.test(prompt) && asked.square ? asked.square : PORTRAIT.test(prompt) ? asked.portrait : asked.landscape;
  const preset = PRESETS.find((p) => p.name === name);
  if (!preset) return null;
  const size = `${preset.width}x${preset.height}`;
  const beyond = asked.beyond ? ` ${asked.beyond}.` : "";
  return {
    asked: asked.label,
    preset: preset.name,
    size,
    caveat: `The prompt asks for ${asked.label}, but the prompt never sets the resolution: with no size this makes ${madeSize}.${beyond} For ${asked.label} pass size "${size}" (preset "${preset.name}": ${preset.intent}).`,
  };
}
