// npm's prepare (npm install / npm ci in a clone, npm pack): build when the toolchain is installed. A production
// install (npm ci --omit=dev) has no TypeScript or esbuild: it keeps dist/ as it is instead of failing with exit 127.

import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { root } from "./esbuild-shared.mjs";

const require = createRequire(join(root, "package.json"));
const has = (name) => {
  try {
    require.resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
};

if (has("typescript") && has("esbuild")) {
  await import("./build.mjs");
} else if (existsSync(join(root, "dist", "cli.js"))) {
  process.stderr.write("pixelwright: no build toolchain (dev dependencies omitted): using dist/ as built\n");
} else {
  process.stderr.write(
    "pixelwright: no build toolchain (dev dependencies omitted) and no dist/: build where the dev dependencies are\n" +
      "installed (npm ci && npm run build), then npm prune --omit=dev; or install the published package.\n",
  );
}
