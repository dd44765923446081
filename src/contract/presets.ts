// Intent-named presets (the seeds' advice: name sizes for what they are for) and well-known display resolutions
// whose intent is clear even though the literal size breaks the contract.

export interface Preset {
  name: string;
  width: number;
  height: number;
  intent: string;
}

export const PRESETS: readonly Preset[] = [
  { name: "4k-landscape", width: 3840, height: 2160, intent: "native 4K UHD landscape (experimental)" },
  { name: "4k-portrait", width: 2160, height: 3840, intent: "native 4K UHD portrait (experimental)" },
  { name: "4k-square", width: 2880, height: 2880, intent: "the largest square (experimental)" },
  { name: "2k-landscape", width: 2560, height: 1440, intent: "2K master, the largest stable 16:9 size" },
  { name: "2k-portrait", width: 1440, height: 2560, intent: "2K master, the largest stable 9:16 size" },
  { name: "2k-master", width: 2048, height: 1152, intent: "a lighter 16:9 master for upscaling" },
  { name: "square-master", width: 2048, height: 2048, intent: "square master (experimental)" },
  { name: "square", width: 1024, height: 1024, intent: "standard square" },
  { name: "landscape", width: 1536, height: 1024, intent: "standard 3:2 landscape" },
  { name: "portrait", width: 1024, height: 1536, intent: "standard 2:3 portrait" },
  { name: "hd-landscape", width: 1920, height: 1088, intent: "Full HD on the 16-pixel grid (crop 8 px for 1080p)" },
  { name: "hd-portrait", width: 1088, height: 1920, intent: "Full HD portrait on the 16-pixel grid" },
  { name: "mobile-hero", width: 1152, height: 2048, intent: "a tall 9:16 hero image for phones" },
  { name: "banner", width: 3072, height: 1024, intent: "a 3:1 banner, the widest allowed shape" },
];

const BY_NAME = new Map(PRESETS.map((preset) => [preset.name, preset]));

export function findPreset(name: string): Preset | undefined {
  return BY_NAME.get(
    name
      .trim()
      .toLowerCase()
      .replace(/[\s_]+/g, "-"),
  );
}

/**
 * Display resolutions people ask for by name. Their literal size is invalid, but the intent is known:
 * "4096x2160" means "4K", which the contract delivers as 3840x2160.
 */
export const KNOWN_RESOLUTIONS: readonly { width: number; height: number; name: string; intent: [number, number] }[] = [
  { width: 4096, height: 2160, name: "DCI 4K", intent: [3840, 2160] },
  { width: 2160, height: 4096, name: "DCI 4K portrait", intent: [2160, 3840] },
  { width: 7680, height: 4320, name: "8K UHD", intent: [3840, 2160] },
  { width: 4320, height: 7680, name: "8K UHD portrait", intent: [2160, 3840] },
  { width: 5120, height: 2880, name: "5K", intent: [3840, 2160] },
  { width: 4096, height: 4096, name: "4K square", intent: [2880, 2880] },
  { width: 3840, height: 3840, name: "4K square", intent: [2880, 2880] },
  { width: 1920, height: 1080, name: "Full HD 1080p", intent: [1920, 1088] },
  { width: 1080, height: 1920, name: "Full HD portrait", intent: [1088, 1920] },
  { width: 1080, height: 1080, name: "1080 square", intent: [1088, 1088] },
  { width: 2048, height: 1080, name: "DCI 2K", intent: [2048, 1088] },
  { width: 1366, height: 768, name: "WXGA", intent: [1360, 768] },
];
