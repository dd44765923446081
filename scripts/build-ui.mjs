// Builds the self-contained MCP App views: each page's TypeScript is bundled (the ext-apps App class included)
// into one inline module script, the shared style inlined, and a strict Content-Security-Policy that allows exactly
// those two inline blocks (by hash) and images from data:/blob: (viewer) or the same origin (gallery). No network.
// src/ui/web/<page>.html holds the page's <body> only; the head and the scripts around it are the same for every
// page and written here once.

import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { build } from "esbuild";
import { common, root } from "./esbuild-shared.mjs";

const web = join(root, "src/ui/web");
const out = join(root, "dist/ui");

const PAGES = {
  viewer: { title: "pixelwright image", img: "data: blob:", connect: "'none'" },
  // The gallery's links are its own: no Referer leaves with the token-bearing URL.
  gallery: {
    title: "pixelwright gallery",
    img: "'self'",
    connect: "'none'",
    head: ['<meta name="referrer" content="no-referrer">'],
  },
};

/** The page around a body: the head (CSP, title, the style) and the config and module scripts after the body. */
function document({ csp, title, head = [], style, body, script }) {
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    ...head,
    `<title>${title}</title>`,
    `<style>${style}</style>`,
    "</head>",
    body
      .trimEnd()
      .replace(/<\/body>$/, "")
      .trimEnd(),
    '<script type="application/json" id="pw-config">{}</script>',
    `<script type="module">${script}</script>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

const hash = (text) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

async function page(name, sources) {
  const bundled = await build({
    ...common,
    entryPoints: [join(web, name, "main.ts")],
    write: false,
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "none",
  });
  const script = bundled.outputFiles[0].text.trim();
  if (/<\/script/i.test(script) || /<!--/.test(script))
    throw new Error(`${name}: the bundle contains </script or <!--`);
  const style = (await readFile(join(web, "style.css"), "utf8")).trim();
  const csp = [
    "default-src 'none'",
    `script-src ${hash(script)}`,
    `style-src ${hash(style)}`,
    `img-src ${sources.img}`,
    `connect-src ${sources.connect}`,
    "font-src 'none'",
    "media-src 'none'",
    "frame-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
  const body = await readFile(join(web, `${name}.html`), "utf8");
  const html = document({ csp, title: sources.title, head: sources.head, style, body, script });
  await writeFile(join(out, `${name}.html`), html);
  return html.length;
}

await mkdir(out, { recursive: true });
for (const [name, sources] of Object.entries(PAGES)) {
  const bytes = await page(name, sources);
  process.stderr.write(`built dist/ui/${name}.html (${Math.round(bytes / 1024)} KB)\n`);
}
