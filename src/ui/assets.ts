// The built, self-contained HTML of the views (dist/ui/*.html, made by `npm run build` from src/ui/web/), read once.

import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../errors.js";

export type Page = "viewer" | "gallery";

const cache = new Map<Page, Promise<string>>();

async function load(page: Page): Promise<string> {
  // Built: dist/ui/assets.js sits beside dist/ui/<page>.html; bundled into dist/cli.js (or a chunk beside it):
  // dist/ → dist/ui/. From the sources (tests): src/ui/ → dist/ui/.
  const candidates = [
    new URL(`./${page}.html`, import.meta.url),
    new URL(`./ui/${page}.html`, import.meta.url),
    new URL(`../../dist/ui/${page}.html`, import.meta.url),
  ];
  for (const url of candidates) {
    try {
      return await readFile(fileURLToPath(url), "utf8");
    } catch {
      // try the next place
    }
  }
  throw new ConfigError(`the ${page} page is not built (dist/ui/${page}.html is missing): run npm run build.`);
}

export function pageTemplate(page: Page): Promise<string> {
  let html = cache.get(page);
  if (!html) {
    html = load(page);
    html.catch(() => cache.delete(page));
    cache.set(page, html);
  }
  return html;
}

/**
 * JSON for an inline `<script type="application/json">` block: `<`, `>`, `&` and the line separators are escaped,
 * so no value (a file name, a prompt) can close the block or be read as markup.
 */
export function inlineJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** The page with its data block filled in. */
export async function renderPage(page: Page, data: unknown): Promise<string> {
  const html = await pageTemplate(page);
  const marker = 'id="pw-config">{}</script>';
  if (!html.includes(marker)) throw new ConfigError(`the built ${page} page has no data block.`);
  return html.replace(marker, () => `id="pw-config">${inlineJson(data)}</script>`);
}
