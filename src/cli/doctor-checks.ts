// The checks of `pixelwright doctor`, one function per group. Each check is one line: what was found, and when it
// is wrong, what to change. None of them spends money, and no secret is ever part of a line.

import { isIP } from "node:net";
import { inspectBook } from "../book-open.js";
import type { Config } from "../config.js";
import { sharpVersions } from "../imaging/sharp.js";
import type { Logger } from "../log.js";
import { effectiveProfile } from "../runtime.js";
import { findProfile, PROFILE_NAMES } from "../upstream/gateways.js";
import { type ModelsProbe, probeModels } from "../upstream/probe.js";
import { VERSION } from "../version.js";
import { FIX_WORKSPACE } from "../workspace/folders.js";
import { inspectWorkspace } from "../workspace/health.js";

export type CheckStatus = "ok" | "warn" | "fail" | "skip";

export interface Check {
  group: "system" | "configuration" | "workspace" | "upstream" | "http" | "replicas" | "clients";
  name: string;
  status: CheckStatus;
  detail: string;
  fix: string | null;
}

type Group = Check["group"];
const check = (group: Group, name: string, status: CheckStatus, detail: string, fix: string | null = null): Check => ({
  group,
  name,
  status,
  detail,
  fix,
});

/** `sk-…wxyz`: enough to tell two keys apart, never enough to use one. */
export function maskSecret(secret: string | undefined): string {
  if (!secret) return "not set";
  if (secret.length < 16) return `set (${secret.length} characters)`;
  return `${secret.startsWith("sk-") ? "sk-" : ""}…${secret.slice(-4)}`;
}

const MIN_NODE: [number, number] = [22, 13];

/** Node, sharp (loaded for real, or by the given loader in tests) and this package's version. */
export async function systemChecks(loadSharpVersions = sharpVersions): Promise<Check[]> {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  const nodeOk = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  const node = check(
    "system",
    "node",
    nodeOk ? "ok" : "fail",
    `Node ${process.version} on ${process.platform} ${process.arch}`,
    nodeOk ? null : `install Node ${MIN_NODE.join(".")} or newer`,
  );
  let sharp: Check;
  try {
    const v = await loadSharpVersions();
    sharp = check("system", "sharp", "ok", `sharp ${v.sharp} loads, libvips ${v.libvips}`);
  } catch (err) {
    const reason = String((err as Error).message ?? err).split("\n")[0];
    sharp = check(
      "system",
      "sharp",
      "fail",
      `sharp does not load on ${process.platform}-${process.arch}: ${reason}`,
      `reinstall on this machine so npm fetches sharp's binary for ${process.platform}-${process.arch}: npm install --include=optional sharp (or npm ci); copying node_modules between systems breaks it`,
    );
  }
  return [node, sharp, check("system", "version", "ok", `pixelwright ${VERSION}`)];
}

export async function workspaceChecks(config: Config): Promise<Check[]> {
  const h = await inspectWorkspace(config.workspace);
  const fixWs = FIX_WORKSPACE;
  if (h.state === "not-a-directory" || h.state === "unreachable")
    return [check("workspace", "workspace", "fail", `${h.root} cannot be a folder: ${h.writeError}`, fixWs)];
  const out: Check[] = [
    check(
      "workspace",
      "workspace",
      "ok",
      h.state === "exists" ? `${h.root} exists` : `${h.root} does not exist yet; it is created at the first start`,
    ),
    h.writable
      ? check("workspace", "writable", "ok", `${h.existingAncestor} is writable`)
      : check("workspace", "writable", "fail", `${h.existingAncestor} is not writable (${h.writeError})`, fixWs),
  ];
  if (h.freeBytes !== null) {
    const gb = h.freeBytes / 1e9;
    const text = `${gb >= 10 ? gb.toFixed(0) : gb.toFixed(2)} GB free`;
    const fix = "free some disk space or move the workspace (a 4K PNG is 10-25 MB)";
    out.push(
      gb < 0.1
        ? check("workspace", "disk", "fail", `${text}: too little for images`, fix)
        : gb < 1
          ? check("workspace", "disk", "warn", `${text}: room for a few dozen 4K images`, fix)
          : check("workspace", "disk", "ok", text),
    );
  }
  if (h.state === "exists") out.push(...manifestChecks(h), await bookCheck(h.root));
  for (const root of config.readRoots) out.push(await readRootCheck(root));
  return out;
}

/** The job book: its folder can be written, and its database opens (read-only) and is sound. */
async function bookCheck(root: string): Promise<Check> {
  const book = await inspectBook(root);
  return check("workspace", "job book", book.ok ? "ok" : "fail", book.detail, book.fix);
}

function manifestChecks(h: Awaited<ReturnType<typeof inspectWorkspace>>): Check[] {
  const m = h.manifest;
  const out: Check[] = [];
  if (m.error) {
    out.push(
      check("workspace", "manifest", "fail", `manifest.jsonl cannot be read (${m.error})`, "fix its permissions"),
    );
  } else if (m.badLines > 0) {
    out.push(
      check(
        "workspace",
        "manifest",
        "warn",
        `manifest.jsonl: ${m.badLines} of ${m.lines} lines are not JSON (a crash mid-write?); the images are unaffected`,
        "move manifest.jsonl aside to start a clean one; each image's .json sidecar keeps its record",
      ),
    );
  } else {
    out.push(
      check("workspace", "manifest", "ok", m.present ? `manifest.jsonl: ${m.lines} records` : "no manifest yet"),
    );
  }
  out.push(
    h.orphanTemps === 0
      ? check("workspace", "temp files", "ok", "no leftover temp files")
      : check(
          "workspace",
          "temp files",
          "warn",
          `${h.orphanTemps} temp file(s) .tmp-* left by an interrupted process`,
          "nothing to do: the server removes them at its next start (or delete the .tmp-* files)",
        ),
  );
  return out;
}

async function readRootCheck(root: string): Promise<Check> {
  const h = await inspectWorkspace(root);
  return h.state === "exists"
    ? check("workspace", "read root", "ok", `${root} exists`)
    : check(
        "workspace",
        "read root",
        "fail",
        `${root} (PIXELWRIGHT_READ_ROOTS) is not a folder`,
        "remove it from PIXELWRIGHT_READ_ROOTS or create it",
      );
}

/** Does the chosen profile match the base URL? */
export function profileCheck(config: Config): Check {
  const profile = effectiveProfile(config);
  const base = config.baseURL ?? profile.baseURL ?? "https://api.openai.com/v1";
  let host = "";
  try {
    host = new URL(base).host;
  } catch {
    host = base;
  }
  if (profile.baseURL && config.baseURL && new URL(profile.baseURL).host !== host) {
    return check(
      "upstream",
      "profile",
      "fail",
      `profile ${profile.name} is for ${new URL(profile.baseURL).host}, but OPENAI_BASE_URL is ${host}`,
      `unset OPENAI_BASE_URL (the profile knows its URL), or set PIXELWRIGHT_PROFILE=openai-compatible`,
    );
  }
  if (profile.name === "openai" && host !== "api.openai.com") {
    return check(
      "upstream",
      "profile",
      "fail",
      `profile openai with OPENAI_BASE_URL on ${host}: requests would assume OpenAI's rules`,
      `set PIXELWRIGHT_PROFILE=openai-compatible, or the gateway's own profile (${PROFILE_NAMES.join(", ")})`,
    );
  }
  const known = PROFILE_NAMES.map((n) => findProfile(n)).find(
    (p) => p?.baseURL && new URL(p.baseURL).host === host && p.name !== profile.name,
  );
  if (known) {
    return check(
      "upstream",
      "profile",
      "warn",
      `profile ${profile.name} for ${host}, which has its own profile`,
      `set PIXELWRIGHT_PROFILE=${known.name}`,
    );
  }
  return check("upstream", "profile", "ok", `profile ${profile.name} fits ${host}`);
}

/** The upstream group's checks: the base URL, the key and the model, each one line. */
const upstream = (name: "base URL" | "key" | "model" | "profile", status: CheckStatus, detail: string, fix?: string) =>
  check("upstream", name, status, detail, fix ?? null);

function probeChecks(probe: ModelsProbe, base: string, config: Config, gateway: boolean): Check[] {
  const fixKey = "set OPENAI_API_KEY to a key issued for this base URL (a gateway needs its own key, not OpenAI's)";
  const fixBase = `set OPENAI_BASE_URL to the API root, which usually ends in /v1 (e.g. https://gateway.example/v1)`;
  const key = maskSecret(config.apiKey);
  const answers = upstream("base URL", "ok", `${base} answers like an OpenAI API`);
  switch (probe.kind) {
    case "listed": {
      const listed = probe.models.includes(config.model);
      const images = probe.models.filter((m) => /image/i.test(m));
      const fixModel =
        images.length > 0
          ? `set PIXELWRIGHT_MODEL to one it lists: ${images.slice(0, 6).join(", ")}`
          : gateway
            ? "ask the gateway which image models it routes"
            : "GPT image models need a verified organization: verify it in the OpenAI dashboard, or use another key";
      const unlisted = `${config.model} is not among the ${probe.models.length} models this key lists`;
      return [
        upstream("base URL", "ok", `${base} answers like an OpenAI API (${probe.models.length} models)`),
        upstream("key", "ok", `the key ${key} is accepted`),
        listed
          ? upstream("model", "ok", `${config.model} is available to this key`)
          : gateway
            ? upstream("model", "warn", `${unlisted} (gateways may route models they do not list)`, fixModel)
            : upstream("model", "fail", unlisted, fixModel),
      ];
    }
    case "html":
      return [upstream("base URL", "fail", `${base} answers a web page (HTML, ${probe.status}), not the API`, fixBase)];
    case "not-openai": {
      const what = `${probe.status} ${probe.contentType}, not an OpenAI model list`;
      return [upstream("base URL", "fail", `${base}/models answers ${what}`, fixBase)];
    }
    case "unreachable": {
      const fix = `check the URL, the network and any proxy; ${fixBase}`;
      return [upstream("base URL", "fail", `${base} cannot be reached: ${probe.message}`, fix)];
    }
    case "key-refused":
      return [answers, upstream("key", "fail", `the key ${key} is refused (401): ${probe.message}`, fixKey)];
    case "forbidden": {
      const fix = "check the key's permissions (models: read), and OPENAI_ORG_ID / OPENAI_PROJECT_ID if set";
      return [answers, upstream("key", "fail", `the key ${key} may not list models (403): ${probe.message}`, fix)];
    }
    case "no-model-list":
      return [
        upstream("base URL", "ok", `${base} answers in OpenAI's error shape`),
        upstream("key", "skip", "cannot be checked for free: this server does not list models"),
        upstream("model", "skip", `${config.model} cannot be checked: the server has no /models list`),
      ];
    case "http-error":
      return [upstream("base URL", "fail", `${base}/models answers ${probe.status}: ${probe.message}`, fixBase)];
  }
}

export async function upstreamChecks(config: Config, logger: Logger): Promise<Check[]> {
  if (!config.apiKey) {
    return [
      check(
        "upstream",
        "key",
        "skip",
        "no OPENAI_API_KEY: the embedded offline simulator answers (placeholder images, no cost)",
        null,
      ),
    ];
  }
  const profile = effectiveProfile(config);
  const base = config.baseURL ?? profile.baseURL ?? "https://api.openai.com/v1";
  const out = [profileCheck(config)];
  if (config.offline) {
    out.push(check("upstream", "key", "skip", "PIXELWRIGHT_OFFLINE is set: the key is not used"));
    return out;
  }
  const probe = await probeModels(
    {
      provider: profile.name,
      apiKey: config.apiKey,
      baseURL: base,
      timeoutMs: 10_000,
      ...(config.organization ? { organization: config.organization } : {}),
      ...(config.project ? { project: config.project } : {}),
    },
    logger,
  );
  out.push(...probeChecks(probe, base, config, profile.name !== "openai"));
  return out;
}

function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "");
  return bare === "localhost" || bare === "::1" || (isIP(bare) === 4 && bare.startsWith("127."));
}

export function httpChecks(config: Config, host: string): Check[] {
  const loopback = isLoopbackHost(host);
  const token = config.httpToken?.trim() ?? "";
  const out: Check[] = [];
  if (!token) {
    out.push(
      loopback
        ? check("http", "token", "ok", "PIXELWRIGHT_HTTP_TOKEN not set (fine on loopback)")
        : check(
            "http",
            "token",
            "fail",
            `PIXELWRIGHT_HTTP_TOKEN not set, and ${host} is not loopback: pixelwright http refuses to start`,
            "set PIXELWRIGHT_HTTP_TOKEN to 16 or more random characters (e.g. openssl rand -hex 24)",
          ),
    );
  } else if (token.length < 16) {
    out.push(
      check(
        "http",
        "token",
        loopback ? "warn" : "fail",
        `PIXELWRIGHT_HTTP_TOKEN has ${token.length} characters: refused on a non-loopback bind`,
        "use 16 or more random characters (e.g. openssl rand -hex 24)",
      ),
    );
  } else {
    out.push(check("http", "token", "ok", `PIXELWRIGHT_HTTP_TOKEN set (${token.length} characters)`));
  }
  out.push(
    check("http", "bind", "ok", `pixelwright http binds ${host}${loopback ? " (loopback: this machine only)" : ""}`),
  );
  const hosts = config.httpAllowedHosts;
  if (!loopback && hosts.length === 0) {
    out.push(
      check(
        "http",
        "allowed hosts",
        "warn",
        `bound to ${host} with no PIXELWRIGHT_HTTP_ALLOWED_HOSTS: clients must use the bind address itself as Host`,
        "set PIXELWRIGHT_HTTP_ALLOWED_HOSTS to the host:port names clients use (comma-separated)",
      ),
    );
  } else {
    out.push(
      check(
        "http",
        "allowed hosts",
        "ok",
        hosts.length ? `allowed hosts: ${hosts.join(", ")}` : "allowed hosts: loopback names only",
      ),
    );
  }
  return out;
}
