// What both esbuild builds (the start-path bundle and the UI pages) share: the repository root, the options (one ES
// module bundle, warnings only) and the plugin that keeps zod to its English messages (zod re-exports every locale,
// some 260-360 KB; pixelwright speaks English only).

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Source maps only when asked (PIXELWRIGHT_SOURCEMAPS=1 npm run build): the package ships none by default. */
export const sourcemaps = process.env.PIXELWRIGHT_SOURCEMAPS === "1";

export const englishOnly = {
  name: "zod-english-only",
  setup(b) {
    b.onResolve({ filter: /locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${"node_modules"}/zod/`) ? { path: "zod-locales", namespace: "pw-stub" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "pw-stub" }, () => ({
      contents: `export { default as en } from ${JSON.stringify(join(root, "node_modules/zod/v4/locales/en.js"))};`,
      resolveDir: root,
    }));
  },
};

/** The options both builds start from. */
export const common = { bundle: true, format: "esm", logLevel: "warning", plugins: [englishOnly] };
