// The tools/list answer built at build time (dist/tools-listing.json, by scripts/build-listing.mjs), so a server
// answers its first tools/list without turning every tool's zod schema into JSON Schema on the start path. It is used
// only when it was built for the same version and the same settings the tool descriptions read; otherwise the
// listing is built as before. A test keeps the built one equal to what the tools give.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Tool } from "@modelcontextprotocol/server";
import type { Config } from "../config.js";
import { VERSION } from "../version.js";

export const LISTING_FILE = "tools-listing.json";

/** What the tool definitions read of the configuration (their descriptions name these defaults), and the version. */
export function listingKey(config: Pick<Config, "model" | "responsesModel" | "waitSeconds">): string {
  return JSON.stringify([VERSION, config.model, config.responsesModel, config.waitSeconds]);
}

/** The built listing for this key, or null (not built, built for other settings, or unreadable). */
export function builtListing(key: string): Tool[] | null {
  // Built: dist/tools/listing-cache.js → dist/; bundled into dist/ (a chunk) → dist/; from the sources → dist/.
  const places = [`../${LISTING_FILE}`, `./${LISTING_FILE}`, `../../dist/${LISTING_FILE}`];
  for (const url of places.map((place) => new URL(place, import.meta.url))) {
    try {
      const built = JSON.parse(readFileSync(fileURLToPath(url), "utf8")) as { key?: unknown; tools?: unknown };
      return built.key === key && Array.isArray(built.tools) ? (built.tools as Tool[]) : null;
    } catch {
      // not here: try the next place
    }
  }
  return null;
}
