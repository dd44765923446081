// The browser harness: Debian's Chromium (never a downloaded browser) driven by playwright-core, a host page that
// embeds the viewer through the ext-apps AppBridge, and a relay from that page to a real pixelwright server.

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallToolResult, JSONRPCMessage } from "@modelcontextprotocol/client";
import { InMemoryTransport, type McpServer } from "@modelcontextprotocol/server";
import { build } from "esbuild";
import { type BrowserContext, chromium, type Frame, type Page } from "playwright-core";

export const CHROMIUM = process.env.PIXELWRIGHT_CHROMIUM ?? "/usr/bin/chromium";

/** Screenshots the browser tests take (kept after the run, for people to look at). */
export const ARTIFACTS = process.env.PIXELWRIGHT_TEST_ARTIFACTS ?? join(tmpdir(), "pixelwright-browser-artifacts");

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Chromium for a closed network, with a fresh profile. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "pixelwright-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1360, height: 1000 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

let hostScript: Promise<string> | null = null;

function hostPage(): Promise<string> {
  hostScript ??= build({
    entryPoints: [join(import.meta.dirname, "../browser/host/host.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    logLevel: "warning",
  }).then((r) => r.outputFiles[0]?.text ?? "");
  return hostScript.then(
    (script) =>
      `<!doctype html><html><head><meta charset="utf-8"><title>test host</title><style>
body{margin:0;background:#f4f5f7;font:14px system-ui}#chat{width:1300px;margin:16px auto}
iframe{display:block;width:1300px;height:400px;border:1px solid #d0d4da;border-radius:10px;background:#fff}
</style></head><body><div id="chat"></div><script type="module">${script.replace(/<\/script/gi, "<\\/script")}</script></body></html>`,
  );
}

/** What host.ts puts on the page's window (the tests reach it through page.evaluate). */
interface HostWindow {
  pwFromServer(message: string): void;
  pwHost: { ready: boolean; calls: string[]; run(name: string, args: unknown): Promise<CallToolResult> };
}

export interface ViewerHost {
  page: Page;
  /** The viewer's frame (inside the sandboxed iframe). */
  frame: Frame;
  run(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  /** Tools the view called through the host, in order. */
  calls(): Promise<string[]>;
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** Opens the host page on `server` (a fresh McpServer from createServer) and waits for the view to initialize. */
export async function openViewer(browser: Browser, server: McpServer): Promise<ViewerHost> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  clientSide.onmessage = (message: JSONRPCMessage) => {
    void page
      .evaluate((m) => (globalThis as unknown as HostWindow).pwFromServer(m), JSON.stringify(message))
      .catch(() => {});
  };
  await clientSide.start();
  await page.exposeFunction("pwToServer", (m: string) => clientSide.send(JSON.parse(m) as JSONRPCMessage));
  await page.setContent(await hostPage());
  await page
    .waitForFunction(() => (globalThis as unknown as HostWindow).pwHost?.ready === true, undefined, { timeout: 20_000 })
    .catch((err) => {
      throw new Error(`the host page did not start: ${errors.join("; ") || (err as Error).message}`);
    });
  const frame = page.frames().find((f) => f !== page.mainFrame());
  if (!frame) throw new Error("no viewer frame");
  return {
    page,
    frame,
    run: (name, args) =>
      page.evaluate(([n, a]) => (globalThis as unknown as HostWindow).pwHost.run(n, a), [name, args] as const),
    calls: () => page.evaluate(() => (globalThis as unknown as HostWindow).pwHost.calls),
    async screenshot(name) {
      const path = join(ARTIFACTS, `${name}.png`);
      await page.locator("iframe").screenshot({ path });
      return path;
    },
    async close() {
      await page.close();
      await server.close();
    },
  };
}
