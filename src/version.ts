import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

// src/ and dist/ both sit one level below package.json.
const manifest = new URL("../package.json", import.meta.url);
const pkg = JSON.parse(readFileSync(manifest, "utf8")) as {
  version: string;
  peerDependencies?: Record<string, string>;
};

export const VERSION: string = pkg.version;
/** The folder holding this package's package.json (a clone, or node_modules/pixelwright). */
export const PACKAGE_ROOT: string = fileURLToPath(new URL(".", manifest));
/** The optional packages installed on demand (ioredis for replicas), with their version ranges. */
export const OPTIONAL_PEERS: Readonly<Record<string, string>> = pkg.peerDependencies ?? {};
