// `pixelwright gallery`: the workspace gallery alone, on loopback, behind a token made for this run (printed in
// the URL once, then traded for a cookie). Same Host and Origin rules as the HTTP transport.

import { randomBytes } from "node:crypto";
import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { listenOn } from "../listen.js";
import type { Logger } from "../log.js";
import type { Runtime } from "../runtime.js";
import { Gallery } from "../usecases/gallery.js";
import { handleGallery } from "./gallery.js";

export interface GalleryHandle {
  /** The URL to open: it carries this run's token. */
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export async function serveGallery(runtime: Runtime, logger: Logger, port = 0): Promise<GalleryHandle> {
  const token = randomBytes(24).toString("hex");
  const routes = { gallery: new Gallery(runtime.workspace, logger), token, logger };
  let allowedHosts = new Set<string>();
  const server = createHttpServer((req, res) => {
    const refuse = (status: number, text: string) => {
      res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" });
      res.end(`${text}\n`);
    };
    const host = String(req.headers.host ?? "").toLowerCase();
    if (!allowedHosts.has(host)) return refuse(403, `Host '${host.slice(0, 100)}' is not allowed.`);
    if (req.headers.origin !== undefined) return refuse(403, "Origin not allowed.");
    const url = new URL(req.url ?? "/", "http://pixelwright");
    handleGallery(req, res, url, routes).then(
      (handled) => {
        if (!handled) refuse(404, "Not found: the gallery is at /gallery.");
      },
      (err: unknown) => {
        logger.error({ err }, "gallery request failed");
        if (!res.headersSent) refuse(500, "Internal error.");
        else res.end();
      },
    );
  });
  await listenOn(server, port, "127.0.0.1");
  const bound = (server.address() as AddressInfo).port;
  allowedHosts = new Set([`127.0.0.1:${bound}`, `localhost:${bound}`]);
  return {
    url: `http://127.0.0.1:${bound}/gallery?token=${token}`,
    port: bound,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
