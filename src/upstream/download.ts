// Guarded image downloads, for gateways that answer with data[].url and for verify_image with a url.
// Not an API call, so not through the openai SDK: node's own https client, with the guards checked at connect time
// (the address actually dialled, after DNS, so a rebinding host cannot slip through), manual redirects, a size
// cap, a total deadline and a minimum rate, a content-type check and a magic-byte check.

import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import { BlockList, isIP } from "node:net";
import { sniffImage } from "../contract/formats.js";
import { DownloadError } from "../errors.js";

export { DownloadError } from "../errors.js";

export interface DownloadPolicy {
  /** Plain http allowed (else https only). */
  allowHttp: boolean;
  /** Whether an address may be dialled; defaults to "public addresses only". */
  isAllowedAddress: (address: string) => boolean;
  maxBytes: number;
  /** Total deadline for the whole download: every redirect, the headers and the body. */
  timeoutMs: number;
  /** Below this average rate (after rateGraceMs) the download is cut off: a drip-feeding server cannot hold a slot. */
  minBytesPerSecond: number;
  rateGraceMs: number;
  maxRedirects: number;
  /**
   * One exact origin (scheme://host:port) exempt from the scheme and address guards: the embedded simulator's own.
   * A redirect away from it is guarded again.
   */
  trustedOrigin?: string;
}

const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  PRIVATE.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const) {
  PRIVATE.addSubnet(net, prefix, "ipv6");
}

/** Loopback, private, link-local (cloud metadata), CGNAT, multicast and reserved addresses are not public. */
export function isPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return isPublicAddress(mapped);
  const family = isIP(address);
  if (family === 0) return false;
  return !PRIVATE.check(address, family === 4 ? "ipv4" : "ipv6");
}

export const DEFAULT_DOWNLOAD_POLICY: DownloadPolicy = {
  allowHttp: false,
  isAllowedAddress: isPublicAddress,
  maxBytes: 64 * 1024 * 1024,
  timeoutMs: 60_000,
  minBytesPerSecond: 16 * 1024,
  rateGraceMs: 10_000,
  maxRedirects: 3,
};

export interface Downloaded {
  bytes: Buffer;
  contentType: string;
  finalUrl: string;
}

function guardedLookup(policy: DownloadPolicy) {
  return (
    hostname: string,
    options: { all?: boolean; family?: number },
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    dnsLookup(hostname, { all: true, family: options.family ?? 0 }, (err, addresses) => {
      if (err) return callback(err, "", 0);
      const list = addresses as LookupAddress[];
      const allowed = list.filter((a) => policy.isAllowedAddress(a.address));
      if (allowed.length === 0) {
        const shown = list.map((a) => a.address).join(", ");
        return callback(
          new DownloadError(
            `refusing to download from ${hostname} (${shown}): private, loopback or reserved address. Set PIXELWRIGHT_ALLOW_PRIVATE_URLS=1 for a local gateway.`,
          ),
          "",
          0,
        );
      }
      if (options.all) return callback(null, allowed);
      const first = allowed[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
  };
}

function getOnce(url: URL, policy: DownloadPolicy, signal: AbortSignal): Promise<http.IncomingMessage> {
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.get(url, { lookup: guardedLookup(policy) as never, signal }, resolve);
    req.on("error", reject);
  });
}

/**
 * The download's own stop watch: a total deadline, and a minimum average rate once the grace period is over. When
 * either trips, the signal aborts with a DownloadError as its reason (the caller's own abort passes through too).
 */
function stopWatch(host: string, policy: DownloadPolicy, outer?: AbortSignal) {
  const controller = new AbortController();
  const started = Date.now();
  let received = 0;
  const stop = (message: string) => controller.abort(new DownloadError(message));
  const deadline = setTimeout(
    () =>
      stop(
        `the download from ${host} did not finish within ${Math.round(policy.timeoutMs / 1000)} s (PIXELWRIGHT_DOWNLOAD_TIMEOUT_SECONDS).`,
      ),
    policy.timeoutMs,
  );
  const rate = setInterval(
    () => {
      const seconds = (Date.now() - started) / 1000;
      if (Date.now() - started >= policy.rateGraceMs && received / seconds < policy.minBytesPerSecond) {
        stop(
          `the download from ${host} was too slow (${Math.round(received / seconds)} bytes/s, under the minimum of ${policy.minBytesPerSecond}).`,
        );
      }
    },
    Math.max(50, Math.min(1000, policy.rateGraceMs)),
  );
  const onOuter = () => controller.abort(outer?.reason);
  if (outer?.aborted) onOuter();
  else outer?.addEventListener("abort", onOuter, { once: true });
  return {
    signal: controller.signal,
    count: (bytes: number) => {
      received += bytes;
    },
    /** The DownloadError that stopped the download, if the stop watch did. */
    reason: () => (controller.signal.reason instanceof DownloadError ? controller.signal.reason : null),
    done: () => {
      clearTimeout(deadline);
      clearInterval(rate);
      outer?.removeEventListener("abort", onOuter);
    },
  };
}

export async function downloadImage(
  rawUrl: string,
  policy: DownloadPolicy = DEFAULT_DOWNLOAD_POLICY,
  signal?: AbortSignal,
): Promise<Downloaded> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new DownloadError(`'${rawUrl.slice(0, 200)}' is not a URL.`);
  }
  const watch = stopWatch(url.host, policy, signal);
  try {
    return await follow(url, rawUrl, policy, watch);
  } catch (err) {
    throw watch.reason() ?? err;
  } finally {
    watch.done();
  }
}

/** The scheme, credentials and literal-address guards of one hop (DNS names are guarded at connect time). */
function checkGuards(url: URL, policy: DownloadPolicy): void {
  if (url.protocol !== "https:" && !(policy.allowHttp && url.protocol === "http:")) {
    throw new DownloadError(
      `refusing ${url.protocol}// URL ${url.host}: only https is allowed (PIXELWRIGHT_ALLOW_PRIVATE_URLS=1 allows http for local gateways).`,
    );
  }
  if (url.username || url.password) throw new DownloadError("refusing a URL with credentials in it.");
  // Node dials IP literals without a DNS lookup, so the address guard must look at them here.
  const literal = url.hostname.replace(/^\[|\]$/g, "");
  if (isIP(literal) && !policy.isAllowedAddress(literal)) {
    throw new DownloadError(
      `refusing to download from ${literal}: private, loopback or reserved address. Set PIXELWRIGHT_ALLOW_PRIVATE_URLS=1 for a local gateway.`,
    );
  }
}

async function follow(
  start: URL,
  rawUrl: string,
  policy: DownloadPolicy,
  watch: ReturnType<typeof stopWatch>,
): Promise<Downloaded> {
  let url = start;
  const signal = watch.signal;
  for (let hop = 0; ; hop++) {
    const trusted = policy.trustedOrigin !== undefined && url.origin === policy.trustedOrigin;
    if (!trusted) checkGuards(url, policy);
    let res: http.IncomingMessage;
    try {
      res = await getOnce(url, policy, signal);
    } catch (err) {
      if (err instanceof DownloadError) throw err;
      throw new DownloadError(`could not download ${url.host}${url.pathname}: ${(err as Error).message}`);
    }
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      if (hop >= policy.maxRedirects) throw new DownloadError(`too many redirects from ${rawUrl.slice(0, 200)}.`);
      url = new URL(res.headers.location, url);
      continue;
    }
    if (status !== 200) {
      res.resume();
      throw new DownloadError(`the image URL answered HTTP ${status} (it may have expired).`);
    }
    const contentType = String(res.headers["content-type"] ?? "").toLowerCase();
    if (!contentType.startsWith("image/")) {
      res.resume();
      throw new DownloadError(`the URL is not an image: content-type '${contentType || "none"}'.`);
    }
    const declared = Number(res.headers["content-length"]);
    if (Number.isFinite(declared) && declared > policy.maxBytes) {
      res.destroy();
      throw new DownloadError(`the image is ${declared} bytes, over the ${policy.maxBytes}-byte download cap.`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res) {
        size += (chunk as Buffer).length;
        watch.count((chunk as Buffer).length);
        if (size > policy.maxBytes) {
          res.destroy();
          throw new DownloadError(`the image is over the ${policy.maxBytes}-byte download cap.`);
        }
        chunks.push(chunk as Buffer);
      }
    } catch (err) {
      if (err instanceof DownloadError) throw err;
      throw new DownloadError(`the download was cut off: ${(err as Error).message}`);
    }
    const bytes = Buffer.concat(chunks);
    if (!sniffImage(bytes)) throw new DownloadError("the downloaded bytes are not a PNG, JPEG, WebP or GIF image.");
    return { bytes, contentType, finalUrl: url.href };
  }
}
