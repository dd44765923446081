// The workspace gallery over the real HTTP transport, in headless Chromium: 30 images from the manifest, newest
// first, lazy thumbnails, filters, the details panel, the full file, and the token, Host and Origin rules.

import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.js";
import { type HttpHandle, serveHttp } from "../../src/transports/http.js";
import { ARTIFACTS, type Browser, launchBrowser } from "../helpers/browser.js";
import { type GalleryFixture, HOSTILE_PROMPT, makeGalleryWorkspace } from "../helpers/gallery.js";
import { raw } from "../helpers/http.js";
import { connectWithSimulator, type SimHarness } from "../helpers/simulated.js";

const TOKEN = "gallery-test-token-0123456789abcdef";
let browser: Browser;
let h: SimHarness;
let http: HttpHandle;
let fixture: GalleryFixture;
let base: string;

beforeAll(async () => {
  [browser, h] = await Promise.all([launchBrowser(), connectWithSimulator()]);
  fixture = await makeGalleryWorkspace(h);
  http = await serveHttp(h.runtime, createLogger("silent"), { host: "127.0.0.1", port: 0, token: TOKEN });
  base = `http://127.0.0.1:${http.port}`;
}, 120_000);

afterAll(async () => {
  await http?.close(0);
  await h?.close();
  await browser?.close();
});

async function openGallery(): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(`${base}/gallery?token=${TOKEN}`);
  await page.waitForSelector("body[data-state=ready]");
  return page;
}

const shown = async (page: Page) => Number(await page.getAttribute("body", "data-shown"));

describe("the gallery in a real browser", () => {
  it("lists the workspace from the manifest, newest first, with a lazy thumbnail per image", async () => {
    const page = await openGallery();
    try {
      expect(page.url()).toBe(`${base}/gallery`);
      const files = await page
        .locator('[data-testid="card"]')
        .evaluateAll((els) => els.map((e) => e.getAttribute("data-file")));
      expect(files).toEqual([...fixture.files].reverse());
      expect(await page.locator('[data-testid="card"] img[loading="lazy"]').count()).toBe(30);
      expect(await page.textContent('[data-testid="count"]')).toBe("30 images");
      // The first screen of thumbnails arrives (made on first request, then cached).
      await page.waitForFunction(() => {
        type Img = { naturalWidth: number };
        const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): Img[] } }).document;
        return [...doc.querySelectorAll(".card img")].slice(0, 24).every((i) => i.naturalWidth > 0);
      });
      await page.screenshot({ path: join(ARTIFACTS, "gallery.png") });
    } finally {
      await page.close();
    }
  });

  it("filters by verified, mismatch, experimental, upscaled, model and date", async () => {
    const page = await openGallery();
    try {
      const { counts } = fixture;
      await page.selectOption("#f-status", "verified");
      expect(await shown(page)).toBe(counts.verified);
      await page.selectOption("#f-status", "mismatch");
      expect(await shown(page)).toBe(counts.mismatch);
      expect(await page.locator(".card:not([hidden]) [data-badge=mismatch]").count()).toBe(counts.mismatch);
      await page.selectOption("#f-status", "all");
      await page.check("#f-experimental");
      expect(await shown(page)).toBe(counts.experimental);
      await page.uncheck("#f-experimental");
      await page.check("#f-upscaled");
      expect(await shown(page)).toBe(counts.upscaled);
      await page.uncheck("#f-upscaled");
      await page.selectOption("#f-model", "gpt-image-1.5");
      expect(await shown(page)).toBe(counts.model15);
      await page.selectOption("#f-model", "");
      const today = new Date().toISOString().slice(0, 10);
      await page.fill("#f-from", today);
      expect(await shown(page)).toBe(counts.total);
      const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
      await page.fill("#f-from", tomorrow);
      expect(await shown(page)).toBe(0);
    } finally {
      await page.close();
    }
  });

  it("shows the record in a details panel and the full file at 100%", async () => {
    const page = await openGallery();
    try {
      await page.click(`[data-file="${fixture.fourK}"]`);
      expect(await page.getAttribute("#details", "data-file")).toBe(fixture.fourK);
      expect(await page.textContent("#details [data-testid=measured]")).toBe("3840x2160");
      expect(await page.locator("#details [data-badge=verified]").count()).toBe(1);
      const record = JSON.parse((await page.textContent('[data-testid="record"]')) ?? "{}");
      expect(record).toMatchObject({ file: fixture.fourK, expected_size: "3840x2160", verified: true });
      await page.screenshot({ path: join(ARTIFACTS, "gallery-details.png") });
      await page.click("#open-full");
      await page.waitForSelector('#viewport[data-source="full"]');
      await page.click("#actual");
      expect(await page.getAttribute("#viewport", "data-scale")).toBe("1");
      expect(
        await page.locator("#image").evaluate((i) => (i as unknown as { naturalWidth: number }).naturalWidth),
      ).toBe(3840);
      await page.screenshot({ path: join(ARTIFACTS, "gallery-full.png") });
    } finally {
      await page.close();
    }
  });

  it("shows names and prompts as text and puts no secret or server path in the page", async () => {
    const page = await openGallery();
    try {
      const html = await page.content();
      expect(html).not.toContain(h.workspace);
      expect(html).not.toContain(TOKEN);
      expect(html).not.toContain("test-key");
      expect(await page.title()).toBe("pixelwright gallery");
      expect(await page.locator('img[src="x"]').count()).toBe(0);
      const hostile = page.locator(`[data-testid="card"][title="${HOSTILE_PROMPT.replace(/"/g, '\\"')}"]`);
      expect(await hostile.count()).toBe(1);
    } finally {
      await page.close();
    }
  });
});

describe("the gallery routes over HTTP", () => {
  const name = () => fixture.files[0] as string;

  it("answers 401 without the token: page, thumbnails and images", async () => {
    for (const path of ["/gallery", `/gallery/thumbs/${name()}`, `/images/${name()}`]) {
      const res = await raw(`${base}${path}`, { method: "GET" });
      expect(res.status, path).toBe(401);
    }
    expect((await raw(`${base}/gallery?token=wrong`, { method: "GET" })).status).toBe(401);
  });

  it("trades the token in the URL for an HttpOnly, SameSite=Strict gallery cookie that does not open /mcp", async () => {
    const res = await raw(`${base}/gallery?token=${TOKEN}`, { method: "GET" });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe("/gallery");
    const cookie = String(res.headers["set-cookie"]);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toContain(TOKEN);
    const pair = cookie.split(";")[0] as string;
    expect((await raw(`${base}/images/${name()}`, { method: "GET", headers: { cookie: pair } })).status).toBe(200);
    const mcp = await raw(`${base}/mcp`, {
      headers: { cookie: pair, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(mcp.status).toBe(401);
  });

  it("applies the Host and Origin rules to the gallery routes", async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await raw(`${base}/gallery`, { method: "GET", headers: auth })).status).toBe(200);
    expect((await raw(`${base}/gallery`, { method: "GET", headers: { ...auth, host: "evil.example" } })).status).toBe(
      403,
    );
    const origin = { ...auth, origin: "https://evil.example" };
    expect((await raw(`${base}/images/${name()}`, { method: "GET", headers: origin })).status).toBe(403);
  });

  it("serves only images the manifest names", async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    writeFileSync(join(h.workspace, "not-in-manifest.png"), readFirstImage());
    for (const path of [
      "/images/not-in-manifest.png",
      "/images/manifest.jsonl",
      "/images/..%2F..%2Fetc%2Fpasswd",
      "/images/%2e%2e",
    ]) {
      expect((await raw(`${base}${path}`, { method: "GET", headers: auth })).status, path).toBe(404);
    }
    const ok = await raw(`${base}/images/${encodeURIComponent(name())}`, { method: "GET", headers: auth });
    expect(ok.status).toBe(200);
    expect(ok.headers["content-type"]).toBe("image/png");
    expect(ok.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("makes each thumbnail once, under 30 KB, in a hidden folder that is never listed as images", async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const first = await raw(`${base}/gallery/thumbs/${fixture.fourK}`, { method: "GET", headers: auth });
    expect(first.status).toBe(200);
    const cached = join(h.workspace, ".thumbs", `${fixture.fourK}.webp`);
    expect(existsSync(cached)).toBe(true);
    expect(statSync(cached).size).toBeLessThan(30 * 1024);
    const madeAt = statSync(cached).mtimeMs;
    await raw(`${base}/gallery/thumbs/${fixture.fourK}`, { method: "GET", headers: auth });
    expect(statSync(cached).mtimeMs).toBe(madeAt);
    const listed = await h.client.listResources();
    expect(listed.resources.some((r) => r.uri.includes(".thumbs") || r.uri.endsWith(".webp"))).toBe(false);
    expect(readdirSync(join(h.workspace, ".thumbs")).every((f) => f.endsWith(".webp"))).toBe(true);
  });
});

function readFirstImage(): Buffer {
  return Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=",
    "base64",
  );
}
