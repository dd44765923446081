// Upstream profiles as data: how each OpenAI-compatible provider differs from OpenAI. Adding a gateway is a row.
// Only what the providers' public material states is recorded; everything else is measured on delivery.

import { tierModels } from "../contract/models.js";

export interface GatewayProfile {
  name: string;
  /** Base URL ending in /v1; null means OPENAI_BASE_URL must give it (or the SDK default for openai). */
  baseURL: string | null;
  /** Response shapes accepted: b64_json inline, and/or a data[].url to download. */
  accepts: { b64: boolean; url: boolean };
  /** The provider makes one image per call: n > 1 becomes n parallel calls. */
  fanOut: boolean;
  /** Parameters the provider answers with an error: refused locally, before any call. */
  rejects: readonly string[];
  /** Parameters the provider may silently ignore: the result carries a caveat, and the file is measured. */
  ignores: readonly string[];
  /** Models whose sizes go on the wire as the provider's preset tier names (e.g. 16:9(4K)). */
  tierModels: readonly string[];
  /** The most reference images one edit accepts, when lower than the model's own limit. */
  maxReferenceImages?: number;
  /** Plain-http image URLs are acceptable from this provider (never by default). */
  allowHttpUrls: boolean;
  notes: readonly string[];
}

const PROFILES: readonly GatewayProfile[] = [
  {
    name: "openai",
    baseURL: null,
    accepts: { b64: true, url: false },
    fanOut: false,
    rejects: ["response_format"],
    ignores: [],
    tierModels: [],
    allowHttpUrls: false,
    notes: ["GPT image models always answer with base64 and reject response_format."],
  },
  {
    name: "openai-compatible",
    baseURL: null,
    accepts: { b64: true, url: true },
    fanOut: false,
    rejects: [],
    ignores: ["size", "n", "quality", "stream"],
    tierModels: tierModels(),
    allowHttpUrls: false,
    notes: [
      "A generic OpenAI-compatible gateway: it may ignore size, n, quality or stream, or fall back to a smaller size; every file is measured.",
    ],
  },
  {
    name: "laozhang",
    baseURL: "https://api.laozhang.ai/v1",
    accepts: { b64: true, url: true },
    fanOut: false,
    rejects: [],
    ignores: ["quality"],
    tierModels: tierModels(),
    allowHttpUrls: false,
    notes: [
      "laozhang.ai: an OpenAI-compatible provider route; verify model mapping, supported size, price, billing unit and failure charging against its current terms.",
    ],
  },
  {
    name: "apiyi",
    baseURL: "https://api.apiyi.com/v1",
    accepts: { b64: true, url: false },
    fanOut: true,
    rejects: ["input_fidelity"],
    ignores: [],
    tierModels: [],
    maxReferenceImages: 5,
    allowHttpUrls: false,
    notes: [
      "APIYI: one image per call (n is sent as parallel calls), up to 5 reference images, input_fidelity is refused; each streamed partial image costs about 100 extra output tokens.",
    ],
  },
];

export const PROFILE_NAMES: readonly string[] = PROFILES.map((p) => p.name);

export function findProfile(name: string): GatewayProfile | undefined {
  return PROFILES.find((p) => p.name === name.trim().toLowerCase());
}
