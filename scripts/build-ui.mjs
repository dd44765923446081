// Builds the self-contained MCP App views: each page's TypeScript is bundled (the ext-apps App class included)
// into one inline module script, the shared style inlined, and a strict Content-Security-Policy that allows exactly
// those two inline blocks (by hash) and images from data:/blob: (viewer) or the same origin (gallery). No network.

import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { build } from "esbuild";
import { common, root } from "./esbuild-shared.mjs";

const web = join(root, "src/ui/web");
const out = join(root, "dist/ui");

const PAGES = {
  viewer: { img: "data: blob:", connect: "'none'" },
  gallery: { img: "'self'", connect: "'none'" },
};

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
  const template = await readFile(join(web, `${name}.html`), "utf8");
  // Function replacers: a `$` in the bundle must not be read as a replacement pattern.
  const html = template
    .replace("__CSP__", () => csp)
    .replace("/*__STYLE__*/", () => style)
    .replace("/*__SCRIPT__*/", () => script);
  await writeFile(join(out, `${name}.html`), html);
  return html.length;
}

await mkdir(out, { recursive: true });
for (const [name, sources] of Object.entries(PAGES)) {
  const bytes = await page(name, sources);
  process.stderr.write(`built dist/ui/${name}.html (${Math.round(bytes / 1024)} KB)\n`);
}
