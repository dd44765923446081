import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "../../src/server.js";
import { registerViewer } from "../../src/ui/viewer-resource.js";
import { type Browser, launchBrowser, openViewer, type ViewerHost } from "../helpers/browser.js";
import { connectWithSimulator, type SimHarness } from "../helpers/simulated.js";

let browser: Browser;
let sim: SimHarness;

beforeAll(async () => {
  browser = await launchBrowser();
  sim = await connectWithSimulator();
}, 60_000);

afterAll(async () => {
  await sim?.close();
  await browser?.close();
});

async function viewer(): Promise<ViewerHost> {
  const server = createServer(sim.runtime);
  registerViewer(server, () => ["generate_image", "verify_image", "validate_size"]);
  return openViewer(browser, server);
}

describe("the viewer in a real browser, hosted through the ext-apps AppBridge", () => {
  it("shows a verified 3840x2160 result from the full file at 100% zoom", async () => {
    const host = await viewer();
    try {
      const result = await host.run("generate_image", { prompt: "a lighthouse at dawn", size: "3840x2160" });
      const { frame } = host;
      await frame.waitForSelector('#viewport[data-source="full"]', { timeout: 20_000 });
      await frame.click("#actual");
      const viewport = frame.locator("#viewport");
      expect(await viewport.getAttribute("data-scale")).toBe("1");
      expect(
        await frame.locator("#image").evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
      ).toBe(3840);
      expect(await frame.textContent('[data-testid="measured"]')).toBe("3840x2160");
      expect(await frame.textContent('[data-testid="requested"]')).toBe("requested 3840x2160");
      expect(await frame.locator("[data-badge=verified]").count()).toBe(1);
      expect(await frame.locator("[data-badge=experimental]").count()).toBe(1);
      expect(await frame.textContent('[data-fact="provider"]')).toBe(String(result.structuredContent?.provider));
      expect(await frame.textContent('[data-fact="format"]')).toBe("PNG");
      await host.screenshot("viewer-4k-100pct");
    } finally {
      await host.close();
    }
  });
});
