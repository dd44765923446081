// One typed Config from defaults < environment < command-line flags, validated with zod.
// Secrets come only from the environment, never from flags (flags show up in process listings).

import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { z } from "zod";
import { DEFAULT_MODEL, DEFAULT_RESPONSES_MODEL } from "./contract/models.js";
import { ConfigError } from "./errors.js";
import { LOG_LEVELS } from "./log.js";
import { findProfile, PROFILE_NAMES } from "./upstream/gateways.js";

const boolFlag = z
  .union([z.boolean(), z.enum(["1", "0", "true", "false", "yes", "no", "on", "off", ""])])
  .transform((v) => v === true || v === "1" || v === "true" || v === "yes" || v === "on");

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const ConfigSchema = z.object({
  apiKey: z.string().min(1).optional(),
  baseURL: z.url({ protocol: /^https?$/ }).optional(),
  organization: z.string().min(1).optional(),
  project: z.string().min(1).optional(),
  workspace: z.string().min(1),
  readRoots: z.array(z.string().min(1)),
  model: z.string().min(1),
  /** Unset: "openai", or "openai-compatible" when OPENAI_BASE_URL points elsewhere. */
  profile: z.string().min(1).optional(),
  offline: z.boolean(),
  waitSeconds: int(0, 600),
  timeoutSeconds: int(1, 3600),
  /** A streamed or slow body ends after this many seconds without bytes. */
  streamIdleSeconds: int(1, 3600),
  /** Total deadline of one image download (verify_image url, gateway url answers). */
  downloadTimeoutSeconds: int(1, 3600),
  maxRetries: int(0, 10),
  /** Rolling 24 h spending cap in USD, from the job records; unset means no cap. */
  maxSpendUsd: z.coerce.number().positive().optional(),
  /** A call estimated above this many USD asks the person first (MCP elicitation); unset means never. */
  confirmAboveUsd: z.coerce.number().min(0).optional(),
  maxConcurrency: int(1, 64),
  maxQueued: int(0, 10_000),
  logLevel: z.enum(LOG_LEVELS),
  httpToken: z.string().min(1).optional(),
  responsesModel: z.string().min(1),
  allowPrivateUrls: z.boolean(),
  httpAllowedHosts: z.array(z.string().min(1)),
  httpAllowedOrigins: z.array(z.string().min(1)),
  /** Replicas share jobs, dedupe and limits through this Redis (HTTP servers on a shared workspace). */
  redisUrl: z.url({ protocol: /^rediss?$/ }).optional(),
  /** How long a replica's job lock lives unrenewed: how soon the job of a dead replica is declared lost. */
  redisLockSeconds: int(1, 600),
});

export type Config = z.infer<typeof ConfigSchema>;

/** Each setting: its environment variable and its flag. Secrets have no flag. */
const SOURCES = {
  apiKey: { env: "OPENAI_API_KEY" },
  baseURL: { env: "OPENAI_BASE_URL", flag: "base-url" },
  organization: { env: "OPENAI_ORG_ID", flag: "org" },
  project: { env: "OPENAI_PROJECT_ID", flag: "project" },
  workspace: { env: "PIXELWRIGHT_WORKSPACE", flag: "workspace" },
  readRoots: { env: "PIXELWRIGHT_READ_ROOTS", flag: "read-roots" },
  model: { env: "PIXELWRIGHT_MODEL", flag: "model" },
  profile: { env: "PIXELWRIGHT_PROFILE", flag: "profile" },
  offline: { env: "PIXELWRIGHT_OFFLINE", flag: "offline" },
  waitSeconds: { env: "PIXELWRIGHT_WAIT_SECONDS", flag: "wait-seconds" },
  timeoutSeconds: { env: "PIXELWRIGHT_TIMEOUT_SECONDS", flag: "timeout-seconds" },
  streamIdleSeconds: { env: "PIXELWRIGHT_STREAM_IDLE_SECONDS", flag: "stream-idle-seconds" },
  downloadTimeoutSeconds: { env: "PIXELWRIGHT_DOWNLOAD_TIMEOUT_SECONDS", flag: "download-timeout-seconds" },
  maxRetries: { env: "PIXELWRIGHT_MAX_RETRIES", flag: "max-retries" },
  maxSpendUsd: { env: "PIXELWRIGHT_MAX_SPEND_USD", flag: "max-spend-usd" },
  confirmAboveUsd: { env: "PIXELWRIGHT_CONFIRM_ABOVE_USD", flag: "confirm-above-usd" },
  maxConcurrency: { env: "PIXELWRIGHT_MAX_CONCURRENCY", flag: "max-concurrency" },
  maxQueued: { env: "PIXELWRIGHT_MAX_QUEUED", flag: "max-queued" },
  logLevel: { env: "PIXELWRIGHT_LOG_LEVEL", flag: "log-level" },
  httpToken: { env: "PIXELWRIGHT_HTTP_TOKEN" },
  responsesModel: { env: "PIXELWRIGHT_RESPONSES_MODEL", flag: "responses-model" },
  allowPrivateUrls: { env: "PIXELWRIGHT_ALLOW_PRIVATE_URLS", flag: "allow-private-urls" },
  httpAllowedHosts: { env: "PIXELWRIGHT_HTTP_ALLOWED_HOSTS", flag: "allowed-hosts" },
  httpAllowedOrigins: { env: "PIXELWRIGHT_HTTP_ALLOWED_ORIGINS", flag: "allowed-origins" },
  redisUrl: { env: "PIXELWRIGHT_REDIS_URL" },
  redisLockSeconds: { env: "PIXELWRIGHT_REDIS_LOCK_SECONDS" },
} as const satisfies Record<keyof Config, { env: string; flag?: string }>;

export const CONFIG_FLAGS: readonly string[] = Object.values(SOURCES).flatMap((s) => ("flag" in s ? [s.flag] : []));

export function describeSettings(): { env: string; flag?: string }[] {
  return Object.values(SOURCES);
}

export interface SettingOrigin {
  key: keyof Config;
  /** Where the value in force came from: flags win over the environment, which wins over the default. */
  source: "default" | "env" | "flag";
  /** The environment variable (or flag) that sets it. */
  env: string;
  flag: string | null;
}

/** For each setting, where its value in force comes from (`pixelwright doctor`). */
export function settingOrigins(
  env: NodeJS.ProcessEnv = process.env,
  flags: Record<string, string | boolean> = {},
): SettingOrigin[] {
  return (Object.entries(SOURCES) as Array<[keyof Config, { env: string; flag?: string }]>).map(([key, source]) => {
    const flag = source.flag ?? null;
    const fromEnv = env[source.env] !== undefined && env[source.env] !== "";
    const origin = flag !== null && flags[flag] !== undefined ? "flag" : fromEnv ? "env" : "default";
    return { key, source: origin, env: source.env, flag };
  });
}

/** ~/Pictures/pixelwright when ~/Pictures exists, else ~/pixelwright: never the cwd, which clients often set to /. */
export function defaultWorkspace(home = homedir(), exists: (p: string) => boolean = existsSync): string {
  const pictures = join(home, "Pictures");
  return exists(pictures) ? join(pictures, "pixelwright") : join(home, "pixelwright");
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  flags?: Record<string, string | boolean>;
  home?: string;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const flags = options.flags ?? {};
  const raw: Record<string, unknown> = {
    workspace: defaultWorkspace(options.home),
    readRoots: [],
    model: DEFAULT_MODEL,
    waitSeconds: 50,
    timeoutSeconds: 360,
    streamIdleSeconds: 120,
    downloadTimeoutSeconds: 60,
    maxRetries: 2,
    maxConcurrency: 4,
    maxQueued: 32,
    logLevel: "info",
    responsesModel: DEFAULT_RESPONSES_MODEL,
    allowPrivateUrls: false,
    httpAllowedHosts: [],
    httpAllowedOrigins: [],
    redisLockSeconds: 30,
  };
  for (const [key, source] of Object.entries(SOURCES)) {
    const fromEnv = env[source.env];
    if (fromEnv !== undefined && fromEnv !== "") raw[key] = fromEnv;
    if ("flag" in source && flags[source.flag] !== undefined) raw[key] = flags[source.flag];
  }
  if (typeof raw.readRoots === "string") raw.readRoots = raw.readRoots.split(delimiter).filter(Boolean);
  for (const key of ["httpAllowedHosts", "httpAllowedOrigins"]) {
    const value = raw[key];
    if (typeof value === "string")
      raw[key] = value
        .split(",")
        .map((v) => v.trim())
        .filter(Boolean);
  }
  const offlineAsked = boolFlag.safeParse(raw.offline ?? false);
  if (!offlineAsked.success) throw new ConfigError("PIXELWRIGHT_OFFLINE must be 1 or 0.");
  const privateAsked = boolFlag.safeParse(raw.allowPrivateUrls);
  if (!privateAsked.success) throw new ConfigError("PIXELWRIGHT_ALLOW_PRIVATE_URLS must be 1 or 0.");
  raw.allowPrivateUrls = privateAsked.data;
  // No key means the embedded simulator: the server is useful (and honest about it) on a fresh machine.
  raw.offline = offlineAsked.data || raw.apiKey === undefined;

  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = issue.path[0] as keyof typeof SOURCES | undefined;
      const source = key ? SOURCES[key] : undefined;
      const name = source ? [source.env, "flag" in source ? `--${source.flag}` : ""].filter(Boolean).join(" / ") : "";
      return `${name || "config"}: ${issue.message}`;
    });
    throw new ConfigError(problems.join("; "));
  }
  const config = parsed.data;
  if (config.profile !== undefined && !findProfile(config.profile)) {
    throw new ConfigError(
      `PIXELWRIGHT_PROFILE / --profile: unknown profile '${config.profile}'; known: ${PROFILE_NAMES.join(", ")}.`,
    );
  }
  if (config.profile === "openai-compatible" && !config.baseURL && !config.offline) {
    throw new ConfigError(
      "PIXELWRIGHT_PROFILE=openai-compatible needs OPENAI_BASE_URL (the gateway's base URL ending in /v1).",
    );
  }
  return {
    ...config,
    workspace: resolve(config.workspace),
    readRoots: config.readRoots.map((root) => resolve(root)),
  };
}
