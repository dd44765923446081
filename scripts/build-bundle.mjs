// Bundles the start path (src/cli.ts and everything it imports statically) into dist/cli-main.js, so that starting
// the server reads a few files instead of several hundred modules. dist/cli.js (the package's bin) is a launcher that
// turns on Node's compile cache where Node has it (>= 22.1: compiled code is reused between starts) and then imports
// the bundle; on older Node it only imports the bundle. What loads only on demand stays in chunks of its own
// (the simulator, the HTTP transport, setup), and `openai`, `sharp` and `ioredis` are never bundled: they load from
// node_modules on first use (or when warmed after the handshake). Shared code goes into dist/cli-chunk-*.js, beside
// cli.js, so every `import.meta.url` keeps pointing into dist/. Source maps only when asked (PIXELWRIGHT_SOURCEMAPS=1
// npm run build; then `node --enable-source-maps dist/cli.js` gives stack traces in src/). Runs after tsc (npm run
// build, scripts/build.mjs), which still emits the per-module files tests, the bench and embedders import.

import { readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { build } from "esbuild";
import { common, root, sourcemaps } from "./esbuild-shared.mjs";

const dist = join(root, "dist");

// Chunks from an earlier build carry other hashes: remove them so dist/ holds one consistent bundle.
for (const name of await readdir(dist).catch(() => [])) {
  if (/^cli[-.].+\.js(\.map)?$|^cli\.js\.map$|^runner-main\.js(\.map)?$/.test(name)) await rm(join(dist, name));
}

const result = await build({
  ...common,
  // The detached runner has an entry of its own: a runner process loads no MCP server, tools or client code.
  entryPoints: { "cli-main": join(root, "src/cli.ts"), "runner-main": join(root, "src/runner-process.ts") },
  outdir: dist,
  splitting: true,
  platform: "node",
  target: "node22.13",
  chunkNames: "cli-[name]-[hash]",
  // Heavy, native, or optional (ioredis, installed on demand): loaded from node_modules when first
  // needed, never bundled.
  external: ["openai", "openai/*", "sharp", "ioredis"],
  sourcemap: sourcemaps,
  sourcesContent: false,
  metafile: true,
  // CommonJS dependencies (pino and its helpers) call require(); an ES module has none of its own.
  banner: {
    js: "import { createRequire as __pixelwrightRequire } from 'node:module'; const require = __pixelwrightRequire(import.meta.url);",
  },
});

const outputs = new Map(Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith(".js")));
// The start path: cli.js and the chunks it imports statically, transitively.
const startPath = new Set();
const visit = (file) => {
  if (startPath.has(file) || !outputs.has(file)) return;
  startPath.add(file);
  for (const i of outputs.get(file).imports) if (i.kind === "import-statement" && !i.external) visit(i.path);
};
visit([...outputs.keys()].find((file) => file.endsWith("cli-main.js")));

const LAUNCHER = `#!/usr/bin/env node
// pixelwright's bin. Node >= 22.1 caches compiled code between starts (module.enableCompileCache); it must be on
// before the bundle is compiled, so the bundle is imported after it. Older Node has no compile cache.
import module from "node:module";

if (typeof module.enableCompileCache === "function" && !process.env.NODE_DISABLE_COMPILE_CACHE) {
  try {
    module.enableCompileCache();
  } catch {
    // A cache directory that cannot be written only costs the cache.
  }
}
await import("./cli-main.js");
`;
await writeFile(join(dist, "cli.js"), LAUNCHER, { mode: 0o755 });
const kb = (bytes) => `${Math.round(bytes / 1024)} KB`;
const startBytes = [...startPath].reduce((sum, file) => sum + outputs.get(file).bytes, 0);
process.stdout.write(
  `built dist/cli.js (launcher) + dist/cli-main.js: start path ${startPath.size} files, ${kb(startBytes)}; ${outputs.size - startPath.size} lazy chunks\n`,
);
