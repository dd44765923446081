// The tools/list answer built at build time must be exactly what the tools give, and be used only for the settings
// it was built for: the key names every setting a tool description reads.

import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type Config, loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { toolSet } from "../../src/tools/calls.js";
import { allTools } from "../../src/tools/index.js";
import { builtListing, listingKey } from "../../src/tools/listing-cache.js";

const runtimes: Runtime[] = [];
afterAll(async () => {
  for (const r of runtimes) await r.close();
});

async function listingFor(env: Record<string, string> = {}): Promise<{ config: Config; listing: unknown }> {
  const workspace = mkdtempSync(join(tmpdir(), "pixelwright-listing-test-"));
  const config = loadConfig({ env: { PIXELWRIGHT_WORKSPACE: workspace, ...env } });
  const runtime = await createRuntime(config, createLogger("silent"), { role: "call" });
  runtimes.push(runtime);
  return { config, listing: toolSet(allTools(runtime)).listing };
}

describe("the tools/list answer built at build time", () => {
  it("is what the tools give with the default settings, and is found for them", async () => {
    const { config, listing } = await listingFor();
    const built = JSON.parse(readFileSync(join(import.meta.dirname, "../../dist/tools-listing.json"), "utf8"));
    expect(built.tools).toEqual(JSON.parse(JSON.stringify(listing)));
    expect(builtListing(listingKey(config))).toEqual(built.tools);
  });

  it("is not used for settings the descriptions read (a model, a responses model, a wait)", async () => {
    const defaults = await listingFor();
    for (const env of <Record<string, string>[]>[
      { PIXELWRIGHT_MODEL: "gpt-image-2.5-flare" },
      { PIXELWRIGHT_RESPONSES_MODEL: "gpt-5.4" },
      { PIXELWRIGHT_WAIT_SECONDS: "20" },
    ]) {
      const other = await listingFor(env);
      expect(listingKey(other.config)).not.toBe(listingKey(defaults.config));
      expect(builtListing(listingKey(other.config))).toBeNull();
    }
  });

  it("does not depend on any other setting, so the key misses nothing", async () => {
    const defaults = await listingFor();
    const other = await listingFor({
      PIXELWRIGHT_MAX_CONCURRENCY: "9",
      PIXELWRIGHT_MAX_QUEUED: "3",
      PIXELWRIGHT_TIMEOUT_SECONDS: "99",
      PIXELWRIGHT_MAX_RETRIES: "0",
      PIXELWRIGHT_MAX_SPEND_USD: "4",
      PIXELWRIGHT_CONFIRM_ABOVE_USD: "1",
      PIXELWRIGHT_PROFILE: "laozhang",
      OPENAI_BASE_URL: "https://gateway.example/v1",
      OPENAI_API_KEY: "sk-listing-test-0123456789",
      PIXELWRIGHT_RUNNER: "in-process",
    });
    expect(listingKey(other.config)).toBe(listingKey(defaults.config));
    expect(other.listing).toEqual(defaults.listing);
  });
});
