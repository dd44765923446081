// The MCP App viewer in headless Chromium, hosted the way a chat client hosts it: the HTML read from the server
// with resources/read, a sandboxed iframe, and the ext-apps AppBridge forwarding the view's tool calls and resource
// reads to a real pixelwright server (simulator upstream). Screenshots go to the artefacts folder.

import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "../../src/server.js";
import { type Browser, launchBrowser, openViewer, type ViewerHost } from "../helpers/browser.js";
import { connectWithSimulator, type SimHarness } from "../helpers/simulated.js";

let browser: Browser;
const harnesses: SimHarness[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
  await browser?.close();
});

async function viewerOn(...args: Parameters<typeof connectWithSimulator>): Promise<ViewerHost> {
  const sim = await connectWithSimulator(...args);
  harnesses.push(sim);
  return openViewer(browser, createServer(sim.runtime));
}

const naturalWidth = (host: ViewerHost) =>
  host.frame.locator("#image").evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth);

describe("the viewer in a real browser, hosted through the ext-apps AppBridge", () => {
  it("is linked from the image tools and served as a self-contained MCP App with a strict CSP", async () => {
    const host = await viewerOn();
    try {
      const meta = await host.page.evaluate(
        () => (globalThis as unknown as { pwHost: { resourceUri: string } }).pwHost,
      );
      expect(meta.resourceUri).toBe("ui://pixelwright/viewer.html");
      const csp = await host.frame.getAttribute('meta[http-equiv="Content-Security-Policy"]', "content");
      expect(csp).toMatch(/default-src 'none'.*script-src 'sha256-[^']+'.*connect-src 'none'/);
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
      // Nothing is loaded from anywhere: one inline module script, one inline style, images from data:/blob: only.
      expect(await host.frame.locator("script[src], link, iframe, object, embed").count()).toBe(0);
      expect(await host.frame.locator("body").getAttribute("data-connected")).toBe("true");
    } finally {
      await host.close();
    }
  });

  it("shows a verified 3840x2160 result from the full file at 100% zoom", async () => {
    const host = await viewerOn();
    try {
      const result = await host.run("generate_image", { prompt: "a lighthouse at dawn", size: "3840x2160" });
      const { frame } = host;
      await frame.waitForSelector('#viewport[data-source="full"]', { timeout: 20_000 });
      await frame.click("#actual");
      expect(await frame.locator("#viewport").getAttribute("data-scale")).toBe("1");
      expect(await naturalWidth(host)).toBe(3840);
      expect(await frame.textContent('[data-testid="measured"]')).toBe("3840x2160");
      expect(await frame.textContent('[data-testid="requested"]')).toBe("requested 3840x2160");
      expect(await frame.locator("[data-badge=verified]").count()).toBe(1);
      expect(await frame.locator("[data-badge=experimental]").count()).toBe(1);
      expect(await frame.textContent('[data-fact="provider"]')).toBe(
        String((result.structuredContent as Record<string, unknown> | undefined)?.provider),
      );
      expect(await frame.textContent('[data-fact="format"]')).toBe("PNG");
      await host.screenshot("viewer-4k-100pct");
      const path = (result.structuredContent as { images: Array<{ path: string }> }).images[0]?.path;
      await frame.click("#copy");
      expect(await frame.inputValue("#path")).toBe(path);
    } finally {
      await host.close();
    }
  });

  it("pans a 100% view by keyboard, wheel and drag, and fits again", async () => {
    const host = await viewerOn();
    try {
      await host.run("generate_image", { prompt: "a wide harbour", size: "3840x2160" });
      const { frame } = host;
      await frame.waitForSelector('#viewport[data-source="full"]', { timeout: 20_000 });
      await frame.click("#actual");
      const transform = () =>
        frame.locator("#image").evaluate((img) => (img as unknown as { style: { transform: string } }).style.transform);
      const start = await transform();
      await frame.focus("#viewport");
      await frame.press("#viewport", "ArrowRight");
      const afterKey = await transform();
      expect(afterKey).not.toBe(start);
      await frame.locator("#viewport").hover();
      await host.page.mouse.wheel(0, 300);
      const afterWheel = await transform();
      expect(afterWheel).not.toBe(afterKey);
      const box = await frame.locator("#viewport").boundingBox();
      if (!box) throw new Error("no viewport");
      await host.page.mouse.move(box.x + 300, box.y + 300);
      await host.page.mouse.down();
      await host.page.mouse.move(box.x + 500, box.y + 400, { steps: 4 });
      await host.page.mouse.up();
      expect(await transform()).not.toBe(afterWheel);
      await frame.press("#viewport", "0");
      expect(await frame.locator("#viewport").getAttribute("data-mode")).toBe("fit");
      expect(Number(await frame.locator("#viewport").getAttribute("data-scale"))).toBeLessThan(1);
    } finally {
      await host.close();
    }
  });

  it("keeps the preview, and says why, when the full file is too large to send through the chat", async () => {
    const host = await viewerOn({}, { realistic: true });
    try {
      const result = await host.run("generate_image", { prompt: "a noisy 4K master", size: "3840x2160" });
      const bytes = (result.structuredContent as { images: Array<{ bytes: number }> }).images[0]?.bytes ?? 0;
      expect(bytes).toBeGreaterThan(5 * 1024 * 1024);
      const { frame } = host;
      await frame.waitForSelector('#viewport[data-source="preview"]', { timeout: 20_000 });
      expect(await frame.textContent('[data-testid="source"]')).toMatch(/too large/);
      expect(await host.calls()).toEqual([]);
      expect(await frame.locator("[data-badge=verified]").count()).toBe(1);
    } finally {
      await host.close();
    }
  });

  it("follows a running job through verify_image: a partial image first, then the verified result in its place", async () => {
    const host = await viewerOn({}, { partialDelayMs: 2500 });
    try {
      const first = await host.run("generate_image", {
        prompt: "a slow sunrise",
        size: "1536x1024",
        partial_images: 2,
        wait_seconds: 0,
      });
      expect((first.structuredContent as Record<string, unknown> | undefined)?.status).toBe("running");
      const { frame } = host;
      await frame.waitForSelector('#viewport[data-source="partial"]', { timeout: 20_000 });
      expect(await frame.isVisible("#job")).toBe(true);
      await host.screenshot("viewer-running-partial");
      await frame.waitForSelector('#viewport[data-source="full"]', { timeout: 30_000 });
      expect(await frame.isVisible("#job")).toBe(false);
      expect(await frame.locator("[data-badge=verified]").count()).toBe(1);
      expect(await frame.textContent('[data-testid="measured"]')).toBe("1536x1024");
      expect(await host.calls()).toContain("verify_image");
      await host.screenshot("viewer-running-completed");
    } finally {
      await host.close();
    }
  });

  it("says mismatch loudly when the delivered file is not the requested size", async () => {
    const host = await viewerOn({}, { gateway: { downscaleAbove: 2048 } });
    try {
      await host.run("generate_image", { prompt: "a silent downscale", size: "3840x2160" });
      const { frame } = host;
      await frame.waitForSelector('#viewport[data-source="full"]', { timeout: 20_000 });
      expect(await frame.locator("[data-badge=mismatch]").count()).toBe(1);
      expect(await frame.locator("[data-badge=verified]").count()).toBe(0);
      expect(await frame.textContent('[data-testid="requested"]')).toBe("requested 3840x2160");
      expect(await frame.textContent('[data-testid="measured"]')).not.toBe("3840x2160");
      expect(await frame.textContent('[data-testid="mismatch-note"]')).toMatch(/3840x2160/);
      await host.screenshot("viewer-mismatch");
    } finally {
      await host.close();
    }
  });

  it("marks a file whose production record says it was upscaled", async () => {
    const sim = await connectWithSimulator();
    harnesses.push(sim);
    const made = await sim.call("generate_image", { prompt: "a 2K master, upscaled", size: "3840x2160" });
    const path = (made.structuredContent as { images: Array<{ path: string }> }).images[0]?.path as string;
    const sidecar = path.replace(/\.png$/, ".json");
    const record = JSON.parse(readFileSync(sidecar, "utf8"));
    // The record of a local upscale names its source: that, not the decision's wording, makes a file upscaled.
    const upscale = {
      source_path: "/elsewhere/master.png",
      source_sha256: "0".repeat(64),
      source_width: 2560,
      source_height: 1440,
      method: "lanczos3",
      interpolation: "bicubic",
      factor: 1.5,
    };
    writeFileSync(sidecar, JSON.stringify({ ...record, decision: "2k-master-plus-upscale", upscale }));
    const host = await openViewer(browser, createServer(sim.runtime));
    try {
      await host.run("verify_image", { path });
      const { frame } = host;
      await frame.waitForSelector('#viewport[data-source="full"]', { timeout: 20_000 });
      expect(await frame.locator("[data-badge=upscaled]").count()).toBe(1);
      expect(await frame.locator("[data-badge=verified]").count()).toBe(1);
      await frame.click("#record");
      await frame.waitForSelector('[data-testid="record"]:not([hidden])');
      expect(await frame.textContent('[data-testid="record"]')).toContain('"decision": "2k-master-plus-upscale"');
      await host.screenshot("viewer-upscaled");
    } finally {
      await host.close();
    }
  });

  it("offers upscaling only when the server has upscale_image", async () => {
    const host = await viewerOn();
    try {
      await host.run("generate_image", { prompt: "a 2K master", size: "2560x1440" });
      await host.frame.waitForSelector('#viewport[data-source="full"]', { timeout: 20_000 });
      const tools = await host.page.evaluate(
        () => (globalThis as unknown as { pwHost: { tools: string[] } }).pwHost.tools,
      );
      expect(await host.frame.isVisible("#upscale")).toBe(tools.includes("upscale_image"));
    } finally {
      await host.close();
    }
  });

  it("edits the image shown: generate_image with edit_of, the shown file sent as the edit's first reference, its shape kept", async () => {
    const sim = await connectWithSimulator();
    harnesses.push(sim);
    const host = await openViewer(browser, createServer(sim.runtime));
    try {
      const made = await host.run("generate_image", { prompt: "a meadow", size: "1536x1024" });
      const source = (made.structuredContent as { images: Array<{ path: string }> }).images[0]?.path as string;
      const { frame } = host;
      await frame.waitForSelector('#viewport[data-source="full"]', { timeout: 20_000 });
      expect(await frame.isVisible("#edit-row")).toBe(true);
      await frame.fill("#edit-prompt", "now make the sky orange");
      await frame.click("#edit");
      // The prompt is cleared once the edit's result is shown (a failed edit keeps it): then the edited file is shown.
      await expect.poll(() => frame.inputValue("#edit-prompt"), { timeout: 20_000 }).toBe("");
      expect(await frame.textContent('[data-testid="measured"]')).toBe("1536x1024");
      const edit = sim.sim.stats.requests.find((r) => r.path.endsWith("/images/edits"));
      const sha = createHash("sha256").update(readFileSync(source)).digest("hex");
      expect(edit?.inputSha256).toEqual([sha]);
      expect(await host.calls()).toContain("generate_image");
      await host.screenshot("viewer-edited");
    } finally {
      await host.close();
    }
  });
});
