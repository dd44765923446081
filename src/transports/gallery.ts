// The gallery over HTTP: GET /gallery (the page), /gallery/thumbs/{name} and /images/{name} (only images the
// manifest names). Behind the same token as /mcp. A browser cannot send an Authorization header with <img>, so the
// token is presented once in the URL (/gallery?token=…) and exchanged for a gallery-only cookie (HttpOnly,
// SameSite=Strict), then the browser is sent to a clean /gallery. The cookie is an HMAC of the token: it opens the
// gallery, never /mcp.

import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../log.js";
import { renderPage } from "../ui/assets.js";
import type { Gallery } from "../usecases/gallery.js";

export const GALLERY_COOKIE = "pixelwright_gallery";

export interface GalleryRoutes {
  gallery: Gallery;
  /** The bearer token; undefined means none is required (a loopback server started without one). */
  token: string | undefined;
  logger: Logger;
}

const digest = (text: string) => createHash("sha256").update(text).digest();
const same = (a: string, b: string) => a.length > 0 && timingSafeEqual(digest(a), digest(b));

export function galleryCredential(token: string): string {
  return createHmac("sha256", token).update("pixelwright gallery cookie v1").digest("hex");
}

function cookie(req: IncomingMessage, name: string): string {
  for (const part of String(req.headers.cookie ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return rest.join("=");
  }
  return "";
}

function bearer(req: IncomingMessage): string {
  return /^bearer[ \t]+(.*)$/is.exec(String(req.headers.authorization ?? ""))?.[1]?.trim() ?? "";
}

const BASE_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra = {}): void {
  res.writeHead(status, {
    ...BASE_HEADERS,
    "content-type": type,
    "content-length": Buffer.byteLength(body),
    "cache-control": "private, no-store",
    ...extra,
  });
  res.end(body);
}

function sendText(res: ServerResponse, status: number, text: string, extra = {}): void {
  send(res, status, "text/plain; charset=utf-8", `${text}\n`, extra);
}

/** The page's own Content-Security-Policy, sent as a header too. */
function cspOf(html: string): string {
  return /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? "default-src 'none'";
}

function decodeName(raw: string): string | null {
  try {
    const name = decodeURIComponent(raw);
    return name && !name.includes("/") && !name.includes("\\") && !name.includes("\0") ? name : null;
  } catch {
    return null;
  }
}

/** Handles the gallery routes; returns false for any other path. The caller has checked Host and Origin. */
export async function handleGallery(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  routes: GalleryRoutes,
): Promise<boolean> {
  const path = url.pathname;
  const isPage = path === "/gallery" || path === "/gallery/";
  const thumb = path.startsWith("/gallery/thumbs/") ? path.slice("/gallery/thumbs/".length) : null;
  const image = path.startsWith("/images/") ? path.slice("/images/".length) : null;
  if (!isPage && thumb === null && image === null) return false;
  if (req.method !== "GET" && req.method !== "HEAD") {
    sendText(res, 405, "Method not allowed: the gallery is read-only (GET).", { allow: "GET, HEAD" });
    return true;
  }
  const { token } = routes;
  const offered = url.searchParams.get("token");
  if (token && isPage && offered !== null) {
    if (!same(offered, token)) {
      sendText(res, 401, "Unauthorized: the token in the URL is not this server's token.");
      return true;
    }
    // Trade the token for the gallery cookie and drop it from the address bar (and from history and Referer).
    res.writeHead(303, {
      ...BASE_HEADERS,
      location: "/gallery",
      "set-cookie": `${GALLERY_COOKIE}=${galleryCredential(token)}; HttpOnly; SameSite=Strict; Path=/`,
      "cache-control": "no-store",
      "content-length": 0,
    });
    res.end();
    return true;
  }
  if (token && !same(bearer(req), token) && !same(cookie(req, GALLERY_COOKIE), galleryCredential(token))) {
    sendText(
      res,
      401,
      "Unauthorized: open /gallery?token=<PIXELWRIGHT_HTTP_TOKEN> once, or send Authorization: Bearer <token>.",
      {
        "www-authenticate": 'Bearer realm="pixelwright"',
      },
    );
    return true;
  }
  if (isPage) {
    const html = await renderPage("gallery", { entries: await routes.gallery.entries() });
    send(res, 200, "text/html; charset=utf-8", html, { "content-security-policy": cspOf(html) });
    return true;
  }
  const name = decodeName((thumb ?? image) as string);
  if (name && thumb !== null) {
    const bytes = await routes.gallery.thumbnail(name);
    if (bytes) {
      send(res, 200, "image/webp", bytes, { "cache-control": "private, max-age=86400" });
      return true;
    }
  } else if (name) {
    const file = await routes.gallery.image(name);
    if (file) {
      send(res, 200, file.mimeType, file.bytes, {
        "cache-control": "private, max-age=3600",
      });
      return true;
    }
  }
  sendText(res, 404, "Not found: no such image in the workspace manifest.");
  return true;
}
