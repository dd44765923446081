// npm run build: tsc (dist/**, the per-module files tests, the bench and embedders import), the UI pages, the
// tools/list answer for the default settings (build-listing.mjs), then the start-path bundle. Source maps only when asked (PIXELWRIGHT_SOURCEMAPS=1): the package ships none by default, and
// maps left by an earlier build with them are removed, so dist/ never mixes the two.

import { spawnSync } from "node:child_process";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { root, sourcemaps } from "./esbuild-shared.mjs";

const tsc = spawnSync("tsc", ["-p", "tsconfig.build.json", ...(sourcemaps ? ["--sourceMap"] : [])], {
  cwd: root,
  stdio: "inherit",
  shell: process.platform === "win32",
});
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
if (!sourcemaps) {
  const dist = join(root, "dist");
  for (const entry of await readdir(dist, { recursive: true })) {
    if (entry.endsWith(".js.map")) await rm(join(dist, entry));
  }
}
await import("./build-ui.mjs");
await import("./build-listing.mjs");
await import("./build-bundle.mjs");
