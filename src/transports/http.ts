// MCP over Streamable HTTP at /mcp, stateless, for both protocol eras through the SDK's createMcpHandler: each POST
// gets a server instance for its era (2026-07-28 by its _meta envelope, 2025-11-25 otherwise), cheap to make because
// the tools, their schemas and validators are built once per process (server.ts), and all share the process-wide
// runtime (jobs, workspace, concurrency limit). Hardened for a server that holds a paid API key and
// writes to disk: bearer token in constant time, Host and Origin allow-lists, capped bodies, JSON errors only,
// per-request deadlines, and a graceful stop.

import { createHash, timingSafeEqual } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isIP } from "node:net";
import { createMcpHandler } from "@modelcontextprotocol/server";
import { ConfigError } from "../errors.js";
import { listenOn } from "../listen.js";
import type { Logger } from "../log.js";
import type { Runtime } from "../runtime.js";
import { createServer } from "../server.js";
import { Gallery } from "../usecases/gallery.js";
import { VERSION } from "../version.js";
import { bridge } from "./fetch-bridge.js";
import { handleGallery } from "./gallery.js";

export const MAX_BODY_BYTES = 1024 * 1024;
/** The shortest PIXELWRIGHT_HTTP_TOKEN accepted for a bind that the network can reach. */
export const MIN_TOKEN_LENGTH = 16;
/** Longer than the longest tool wait (600 s), so a deadline never cuts a legitimate wait short. */
export const REQUEST_DEADLINE_MS = 660_000;

export interface HttpOptions {
  host: string;
  port: number;
  token?: string | undefined;
  allowedHosts?: readonly string[];
  allowedOrigins?: readonly string[];
}

export interface HttpHandle {
  url: string;
  port: number;
  server: Server;
  /** Stop accepting, let in-flight calls answer (up to graceMs), then abort what is left. */
  close(graceMs?: number): Promise<void>;
}

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "");
  return bare === "localhost" || bare === "::1" || (isIP(bare) === 4 && bare.startsWith("127."));
}

/**
 * A page served from this very loopback address (Origin http://127.0.0.1:PORT when Host is 127.0.0.1:PORT) is not
 * DNS rebinding: a rebinding page has its own name in Origin. Only loopback hosts qualify.
 */
function sameLoopbackOrigin(origin: string, host: string): boolean {
  const expected = `http://${host}`;
  if (origin.toLowerCase() !== expected) return false;
  return isLoopback(host.replace(/:\d+$/, ""));
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function rpcError(code: number, message: string) {
  return { jsonrpc: "2.0", error: { code, message }, id: null };
}

async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Liveness, and with Redis the replica's link to the others. `?ready=1` answers 503 while Redis is unreachable, for
 * load balancers that route by status.
 */
function health(runtime: Runtime, url: URL, res: ServerResponse): void {
  const book = runtime.book.health();
  const shared = runtime.book.kind === "redis";
  const ready = book.reachable;
  sendJson(res, url.searchParams.get("ready") === "1" && !ready ? 503 : 200, {
    ok: true,
    ready,
    version: VERSION,
    provider: runtime.provider,
    jobs: {
      running: runtime.worker?.active ?? 0,
      upstream_in_flight: runtime.limiter.inFlight,
    },
    ...(shared ? { redis: book.reachable ? "connected" : "unreachable" } : {}),
  });
}

/** Resolves once every response in flight has been sent (or after `ms`): calls get to say how their job ended. */
function answered(inFlight: Set<ServerResponse>, ms: number): Promise<void> {
  const all = [...inFlight].map((res) => new Promise<void>((resolve) => res.once("close", () => resolve())));
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    Promise.all(all).then(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Refuses configurations that would expose a paid key and a writable disk to the network by accident. */
export function checkExposure(options: HttpOptions): void {
  if (isLoopback(options.host)) return;
  const token = options.token?.trim() ?? "";
  if (!token) {
    throw new ConfigError(
      `refusing to listen on ${options.host} without PIXELWRIGHT_HTTP_TOKEN: anyone who can reach it could spend your API key and write to your disk. Set PIXELWRIGHT_HTTP_TOKEN, or bind 127.0.0.1.`,
    );
  }
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new ConfigError(
      `refusing to listen on ${options.host} with a ${token.length}-character PIXELWRIGHT_HTTP_TOKEN: a token guards a paid key and a writable disk, so it needs at least ${MIN_TOKEN_LENGTH} characters (e.g. openssl rand -hex 24), or bind 127.0.0.1.`,
    );
  }
}

/** Whether a request carries the bearer token (always, without one). */
function bearerCheck(token: string | undefined): (req: IncomingMessage) => boolean {
  const tokenDigest = token ? digest(token) : null;
  return (req) => {
    if (!tokenDigest) return true;
    // The scheme is case-insensitive (RFC 9110 section 11.1): "bearer", "Bearer" and "BEARER" are the same.
    const match = /^bearer[ \t]+(.*)$/is.exec(String(req.headers.authorization ?? ""));
    const presented = match?.[1]?.trim() ?? "";
    // Compare digests of equal length in constant time: neither the token nor its length leaks through timing.
    return timingSafeEqual(digest(presented), tokenDigest) && presented.length > 0;
  };
}

/** The MCP endpoint: one server instance per POST for its protocol era, on the process-wide tools and runtime. */
function mcpEndpoint(runtime: Runtime, logger: Logger) {
  const mcp = createMcpHandler(({ era }) => createServer(runtime, { era, remote: true }), {
    onerror: (err) => logger.debug({ err: err.message }, "MCP request refused or failed"),
    maxRequestBodySize: MAX_BODY_BYTES,
  });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    if (body === null) {
      return sendJson(res, 413, rpcError(-32600, `Request body over ${MAX_BODY_BYTES} bytes.`));
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      return sendJson(res, 400, rpcError(-32700, "Parse error: the body is not JSON."));
    }
    await bridge(mcp.fetch, req, res, body, parsed);
  };
  return { handle, close: () => mcp.close() };
}

interface Routes {
  runtime: Runtime;
  logger: Logger;
  allowedHosts: () => ReadonlySet<string>;
  allowedOrigins: ReadonlySet<string>;
  authorized: (req: IncomingMessage) => boolean;
  gallery: Parameters<typeof handleGallery>[3];
  mcp: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

/** One request: the Host and Origin guards, then health, the gallery, or (with the token) MCP over POST. */
function route(req: IncomingMessage, res: ServerResponse, routes: Routes): undefined {
  const { runtime, logger } = routes;
  const url = new URL(req.url ?? "/", "http://pixelwright");
  const host = String(req.headers.host ?? "").toLowerCase();
  if (!routes.allowedHosts().has(host)) {
    sendJson(res, 403, rpcError(-32000, `Host '${host.slice(0, 100)}' is not allowed.`));
    return;
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !routes.allowedOrigins.has(origin.toLowerCase()) && !sameLoopbackOrigin(origin, host)) {
    sendJson(res, 403, rpcError(-32000, "Origin not allowed."));
    return;
  }
  if (url.pathname === "/healthz" && req.method === "GET") {
    health(runtime, url, res);
    return;
  }
  if (url.pathname !== "/mcp") {
    // The gallery (GET /gallery, /gallery/thumbs/{name}, /images/{name}): same token, Host and Origin rules.
    handleGallery(req, res, url, routes.gallery).then(
      (handled) => {
        if (!handled)
          sendJson(res, 404, rpcError(-32601, "Not found: the MCP endpoint is /mcp, the gallery /gallery."));
      },
      (err: unknown) => {
        logger.error({ err }, "gallery request failed");
        sendJson(res, 500, rpcError(-32603, "Internal error."));
      },
    );
    return;
  }
  if (!routes.authorized(req)) {
    const message = "Unauthorized: send Authorization: Bearer <PIXELWRIGHT_HTTP_TOKEN>.";
    sendJson(res, 401, rpcError(-32001, message), { "www-authenticate": 'Bearer realm="pixelwright"' });
    return;
  }
  if (req.method !== "POST") {
    sendJson(res, 405, rpcError(-32000, "Method not allowed: this server is stateless; use POST."), {
      allow: "POST",
    });
    return;
  }
  routes.mcp(req, res).catch((err: unknown) => {
    logger.error({ err }, "HTTP request failed");
    sendJson(res, 500, rpcError(-32603, "Internal error."));
  });
  return;
}

/** Default Host allow-list: the bound address and the loopback names, with the port (DNS-rebinding protection). */
function allowedHostsFor(options: HttpOptions, hostForUrl: string, port: number): Set<string> {
  return new Set(
    [
      ...(options.allowedHosts ?? []),
      `${hostForUrl}:${port}`,
      ...(isLoopback(options.host) || options.host === "0.0.0.0" || options.host === "::"
        ? [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]
        : []),
    ].map((h) => h.toLowerCase()),
  );
}

/**
 * Stopping: the worker takes no new jobs at once (queued ones stay in the book for the other replicas or runners);
 * running ones get the grace period, then end as "may have been billed" (sent) or go back to the queue (unsent).
 */
function closer(runtime: Runtime, server: Server, inFlight: Set<ServerResponse>, closeMcp: () => Promise<void>) {
  return async (graceMs = 10_000) => {
    const workerClosed = runtime.worker?.close(graceMs, "the server is shutting down");
    // Calls waiting on jobs another process runs answer now (running: collect it anywhere); those waiting on jobs
    // this server runs get the grace period to see them end.
    runtime.images.releaseWaiters((jobId) => !runtime.worker?.runs(jobId));
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      const timer = setTimeout(async () => {
        // Calls still waiting after the grace period: their jobs end as the worker closes, the calls answer so
        // (up to 2 s), then the rest is hung up.
        await workerClosed;
        runtime.images.releaseWaiters();
        await answered(inFlight, 2000);
        for (const res of inFlight) res.destroy();
        server.closeAllConnections();
      }, graceMs);
      timer.unref();
    });
    await workerClosed;
    await closeMcp();
  };
}

export async function serveHttp(runtime: Runtime, logger: Logger, options: HttpOptions): Promise<HttpHandle> {
  checkExposure(options);
  const inFlight = new Set<ServerResponse>();
  let allowedHosts = new Set<string>();
  const mcp = mcpEndpoint(runtime, logger);
  const routes: Routes = {
    runtime,
    logger,
    allowedHosts: () => allowedHosts,
    allowedOrigins: new Set((options.allowedOrigins ?? []).map((o) => o.toLowerCase())),
    authorized: bearerCheck(options.token),
    gallery: { gallery: new Gallery(runtime.workspace, logger), token: options.token, logger },
    mcp: mcp.handle,
  };
  const server = createHttpServer({ connectionsCheckingInterval: 1000 }, (req, res) => {
    inFlight.add(res);
    res.on("close", () => inFlight.delete(res));
    const deadline = setTimeout(() => {
      logger.warn({ url: req.url }, "request deadline reached");
      if (!res.headersSent) sendJson(res, 504, rpcError(-32000, "Request deadline reached."));
      else res.end();
    }, REQUEST_DEADLINE_MS);
    res.on("close", () => clearTimeout(deadline));
    route(req, res, routes);
  });
  // Slow sockets are bounded (checked every second): headers within 10 s, the request (at most 1 MB) within 60 s,
  // idle keep-alive sockets closed after 5 s. The answer itself may take up to REQUEST_DEADLINE_MS.
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 5_000;

  await listenOn(server, options.port, options.host);
  const { port } = server.address() as AddressInfo;
  const hostForUrl = isIP(options.host) === 6 ? `[${options.host}]` : options.host;
  allowedHosts = allowedHostsFor(options, hostForUrl, port);
  return { url: `http://${hostForUrl}:${port}/mcp`, port, server, close: closer(runtime, server, inFlight, mcp.close) };
}
