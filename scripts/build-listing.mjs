// Writes dist/tools-listing.json: the tools/list answer for the default settings, made from the built tools exactly
// as a server makes it (src/tools/listing-cache.ts reads it), so a server's first tools/list costs no schema
// conversion. Runs after tsc (scripts/build.mjs); a test checks it equals what the tools give.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root } from "./esbuild-shared.mjs";

const dist = (path) => import(join(root, "dist", path));
const { loadConfig } = await dist("config.js");
const { createLogger } = await dist("log.js");
const { createRuntime } = await dist("runtime.js");
const { allTools } = await dist("tools/index.js");
const { toolSet } = await dist("tools/calls.js");
const { LISTING_FILE, listingKey } = await dist("tools/listing-cache.js");

const workspace = mkdtempSync(join(tmpdir(), "pixelwright-listing-"));
try {
  // The defaults, whatever the builder's environment holds: a user's server with no settings matches the key.
  const config = loadConfig({ env: { PIXELWRIGHT_WORKSPACE: workspace } });
  const runtime = await createRuntime(config, createLogger("silent"), { role: "call" });
  const { listing } = toolSet(allTools(runtime));
  await runtime.close();
  writeFileSync(join(root, "dist", LISTING_FILE), `${JSON.stringify({ key: listingKey(config), tools: listing })}\n`);
} finally {
  rmSync(workspace, { recursive: true, force: true });
}
