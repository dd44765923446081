// One typed Config from defaults < environment < command-line flags, validated with zod, one setting at a time: a
// value that cannot be read is named (setting, value, what it takes) and the rest still load, so `doctor` can run
// every check and say everything wrong at once. Secrets come only from the environment, never from flags (flags
// show up in process listings).

import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { DEFAULT_MODEL, DEFAULT_RESPONSES_MODEL } from "./contract/models.js";
import { closest, didYouMean } from "./contract/suggest.js";
import { ConfigError } from "./errors.js";
import { LOG_LEVELS } from "./log.js";
import { findProfile, PROFILE_NAMES } from "./upstream/gateways.js";

const BOOL_WORDS = ["1", "0", "true", "false", "yes", "no", "on", "off", ""] as const;
const boolFlag = z
  .union([z.boolean(), z.enum(BOOL_WORDS)])
  .transform((v) => v === true || v === "1" || v === "true" || v === "yes" || v === "on");

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** What a URL setting takes: the JSON Schema of z.url() cannot say which schemes. */
const url = (schemes: RegExp, takes: string) => z.url({ protocol: schemes }).meta({ takes });

export const ConfigSchema = z.object({
  apiKey: z.string().min(1).optional().describe("the API key; unset: the embedded offline simulator answers"),
  baseURL: url(/^https?$/, "an http:// or https:// URL ending in /v1")
    .optional()
    .describe("an OpenAI-compatible gateway's API root; unset: OpenAI, or the profile's own URL"),
  organization: z.string().min(1).optional().describe("the OpenAI organization id sent with each request"),
  project: z.string().min(1).optional().describe("the OpenAI project id sent with each request"),
  workspace: z.string().min(1).describe("where images, sidecar records, the manifest and jobs.jsonl are written"),
  readRoots: z
    .array(z.string().min(1))
    .describe("more folders input images may be read from (the workspace always is one), path-list separated"),
  model: z.string().min(1).describe("the image model when a call names none"),
  profile: z
    .string()
    .min(1)
    .optional()
    .describe(`the gateway profile: ${PROFILE_NAMES.join(", ")}; unset: openai, or openai-compatible with a base URL`),
  offline: z.boolean().describe("use the embedded offline simulator even with a key (placeholder images, no cost)"),
  waitSeconds: int(0, 600).describe("how long a call waits for its image before answering with a job to collect"),
  timeoutSeconds: int(1, 3600).describe("the deadline of one upstream request (connect, headers and body)"),
  streamIdleSeconds: int(1, 3600).describe("a streamed or slow body ends after this many seconds without bytes"),
  downloadTimeoutSeconds: int(1, 3600).describe(
    "the total deadline of one image download (verify_image url, gateway url answers)",
  ),
  maxRetries: int(0, 10).describe(
    "retries on 429, 5xx, timeouts and connection errors, never on a refusal (a retried call may be billed twice)",
  ),
  maxSpendUsd: z.coerce
    .number()
    .positive()
    .optional()
    .describe(
      "rolling 24 h spending cap in USD over every process on the workspace (the job book's spend ledger); unset: no cap",
    ),
  confirmAboveUsd: z.coerce
    .number()
    .min(0)
    .optional()
    .describe("a call estimated above this many USD asks the person first (MCP elicitation); unset: never"),
  maxConcurrency: int(1, 64).describe("upstream requests in flight at once"),
  maxQueued: int(0, 10_000).describe("jobs waiting for a slot before new ones are refused as busy"),
  logLevel: z.enum(LOG_LEVELS).describe("how much goes to stderr"),
  httpToken: z
    .string()
    .min(1)
    .optional()
    .describe("the bearer token `pixelwright http` requires (16+ characters; required off loopback)"),
  responsesModel: z.string().min(1).describe("the text model of the responses route"),
  allowPrivateUrls: z
    .boolean()
    .describe("let verify_image and gateway answers download from private and loopback addresses"),
  httpAllowedHosts: z.array(z.string().min(1)).describe("Host names HTTP clients may use, comma-separated"),
  httpAllowedOrigins: z.array(z.string().min(1)).describe("browser Origins allowed to call /mcp, comma-separated"),
  redisUrl: url(/^rediss?$/, "a redis:// or rediss:// URL")
    .optional()
    .describe("replicas of `pixelwright http` share jobs, dedupe and limits through this Redis"),
  redisLockSeconds: int(1, 600).describe(
    "how long a worker's lease on a running job lives unrenewed (replicas, and frozen processes sharing a workspace): how soon its job is declared lost",
  ),
  runner: z
    .enum(["auto", "detached", "in-process"])
    .describe(
      "where paid work runs: detached (a runner process that a client closing or killing the server cannot end), in-process, or auto (detached for stdio and one-shot calls, in-process for `pixelwright http`)",
    ),
  runnerIdleSeconds: int(1, 3600).describe("a detached runner exits after this long with nothing to do"),
});

export type Config = z.infer<typeof ConfigSchema>;
export type SettingKey = keyof Config;

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
  runner: { env: "PIXELWRIGHT_RUNNER", flag: "runner" },
  runnerIdleSeconds: { env: "PIXELWRIGHT_RUNNER_IDLE_SECONDS" },
} as const satisfies Record<SettingKey, { env: string; flag?: string }>;

/** The settings whose value is never shown back (a URL may carry a password). */
export const SECRET_SETTINGS: ReadonlySet<SettingKey> = new Set(["apiKey", "httpToken", "redisUrl"]);

/** The defaults of the settings that have one (the workspace's depends on the home folder: defaultWorkspace). */
export const DEFAULTS = {
  readRoots: [],
  model: DEFAULT_MODEL,
  offline: false,
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
  runner: "auto",
  runnerIdleSeconds: 60,
} as const satisfies Partial<Config>;

/** Flags that are switches (no value). */
const SWITCHES: ReadonlySet<SettingKey> = new Set(["offline", "allowPrivateUrls"]);
export const LISTS: Partial<Record<SettingKey, string>> = {
  readRoots: delimiter,
  httpAllowedHosts: ",",
  httpAllowedOrigins: ",",
};
/** Other tools' variables under our prefix that are not settings: the simulator's knobs. */
const NOT_SETTINGS = /^PIXELWRIGHT_SIM_/;

export interface SettingSource {
  key: SettingKey;
  env: string;
  flag: string | null;
  /** A flag without a value (--offline). */
  switch: boolean;
}

export function settingSources(): SettingSource[] {
  return (Object.entries(SOURCES) as Array<[SettingKey, { env: string; flag?: string }]>).map(([key, s]) => ({
    key,
    env: s.env,
    flag: s.flag ?? null,
    switch: SWITCHES.has(key),
  }));
}

export const CONFIG_FLAGS: readonly string[] = settingSources().flatMap((s) => (s.flag ? [s.flag] : []));

/** "PIXELWRIGHT_WAIT_SECONDS / --wait-seconds": how a person sets it. */
export function settingName(key: SettingKey): string {
  const source: { env: string; flag?: string } = SOURCES[key];
  return source.flag ? `${source.env} / --${source.flag}` : source.env;
}

export interface SettingOrigin {
  key: SettingKey;
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
  return settingSources().map(({ key, env: name, flag }) => {
    const fromEnv = env[name] !== undefined && env[name] !== "";
    const origin = flag !== null && flags[flag] !== undefined ? "flag" : fromEnv ? "env" : "default";
    return { key, source: origin, env: name, flag };
  });
}

/** ~/Pictures/pixelwright when ~/Pictures exists, else ~/pixelwright: never the cwd, which clients often set to /. */
export function defaultWorkspace(home = homedir(), exists: (p: string) => boolean = existsSync): string {
  const pictures = join(home, "Pictures");
  return exists(pictures) ? join(pictures, "pixelwright") : join(home, "pixelwright");
}

/** What a setting takes, in words: "a whole number from 0 to 600", "one of info, warn, …". */
export function settingTakes(key: SettingKey): string {
  const schema = z.toJSONSchema(ConfigSchema.shape[key], { io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  if (typeof schema.takes === "string") return schema.takes;
  if (SWITCHES.has(key)) return "1 or 0 (also true/false, yes/no, on/off)";
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.join(", ")}`;
  const { minimum: min, maximum: max, exclusiveMinimum: above } = schema;
  if (schema.type === "integer") return `a whole number from ${min} to ${max}`;
  if (schema.type === "number") return above !== undefined ? `a number above ${above}` : `a number, ${min} or more`;
  if (schema.type === "array") return `a list separated by '${LISTS[key] ?? ","}'`;
  return "a non-empty text";
}

export interface SettingProblem {
  /** The setting that could not be read; null for an unknown variable. */
  key: SettingKey | null;
  /** The variable (and flag) as a person writes it. */
  setting: string;
  /** What was given (hidden for secrets). */
  value: string;
  /** What is wrong with it: the value, what it takes, and a close match when there is one. */
  reason: string;
}

/** "PIXELWRIGHT_WAIT_SECONDS / --wait-seconds: could not read 'soon': it takes …". */
export function problemSentence(problem: SettingProblem): string {
  return `${problem.setting}: ${problem.reason}`;
}

export interface ConfigReading {
  /** Every setting that could be read; the ones that could not keep their defaults. */
  config: Config;
  problems: SettingProblem[];
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  flags?: Record<string, string | boolean>;
  home?: string;
}

function shown(key: SettingKey, value: unknown): string {
  if (SECRET_SETTINGS.has(key)) return "(hidden)";
  const text = String(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

/** A variable under our prefix that is no setting but close to one: a typo that would silently do nothing. */
function unknownVariables(env: NodeJS.ProcessEnv): SettingProblem[] {
  const prefix = "PIXELWRIGHT_";
  const known = settingSources().map((s) => s.env);
  const ours = known.filter((name) => name.startsWith(prefix)).map((name) => name.slice(prefix.length));
  return Object.keys(env)
    .filter((name) => name.startsWith(prefix) && !known.includes(name) && !NOT_SETTINGS.test(name))
    .flatMap((name) => {
      // Matched without the shared prefix, which would make every name look close; a name cut short of a setting's
      // last words (MAX_SPEND for MAX_SPEND_USD) is that setting.
      const given = name.slice(prefix.length);
      const longer = ours.filter((setting) => setting.startsWith(`${given}_`));
      const match = closest(given, ours) ?? (longer.length === 1 ? (longer[0] ?? null) : null);
      if (!match) return [];
      const reason = `not a setting. Did you mean ${prefix}${match}?`;
      return [{ key: null, setting: name, value: String(env[name]), reason }];
    });
}

/** The raw value in force for one setting (flag > environment > default), lists split. */
function rawValue(key: SettingKey, env: NodeJS.ProcessEnv, flags: Record<string, string | boolean>, home?: string) {
  const source: { env: string; flag?: string } = SOURCES[key];
  let value: unknown = key === "workspace" ? defaultWorkspace(home) : (DEFAULTS as Partial<Config>)[key];
  const fromEnv = env[source.env];
  if (fromEnv !== undefined && fromEnv !== "") value = fromEnv;
  if (source.flag && flags[source.flag] !== undefined) value = flags[source.flag];
  const separator = LISTS[key];
  if (separator && typeof value === "string") {
    value = value
      .split(separator)
      .map((v) => v.trim())
      .filter(Boolean);
  }
  return value;
}

/**
 * What no client should hand over: a value that still holds a `${...}` placeholder (an MCP Bundle passes an unset
 * optional field on as its literal text), or a relative workspace from the environment (clients start servers in
 * unpredictable folders, often /). A relative --workspace typed in a terminal means the folder there.
 */
function unusable(key: SettingKey, value: unknown, fromFlag: boolean): string | null {
  const texts = Array.isArray(value) ? value : [value];
  if (texts.some((v) => typeof v === "string" && v.includes("${"))) {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder syntax of MCP clients, named in the sentence
    return "still holds a ${...} placeholder the MCP client did not fill in: set it to a real value or leave it empty.";
  }
  if (key === "workspace" && !fromFlag && typeof value === "string" && !isAbsolute(value)) {
    return "is a relative path: MCP clients start servers in unpredictable folders, so give an absolute folder (or leave it empty for the default).";
  }
  return null;
}

function readSetting(key: SettingKey, value: unknown): { ok: true; value: unknown } | { ok: false; problem: string } {
  const schema = SWITCHES.has(key) ? boolFlag : ConfigSchema.shape[key];
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  const enumValues = key === "logLevel" ? LOG_LEVELS : [];
  const hint = typeof value === "string" ? didYouMean(value, enumValues) : "";
  return {
    ok: false,
    problem: `could not read '${shown(key, value)}': it takes ${settingTakes(key)}.${hint}`,
  };
}

/** Rules across settings: a profile that exists, and a base URL for the generic gateway profile. */
function crossChecks(config: Config): SettingProblem[] {
  const out: SettingProblem[] = [];
  if (config.profile !== undefined && !findProfile(config.profile)) {
    out.push({
      key: "profile",
      setting: settingName("profile"),
      value: config.profile,
      reason: `unknown profile '${config.profile}'; known: ${PROFILE_NAMES.join(", ")}.${didYouMean(config.profile, PROFILE_NAMES)}`,
    });
    delete config.profile;
  }
  if (config.profile === "openai-compatible" && !config.baseURL && !config.offline) {
    out.push({
      key: "profile",
      setting: settingName("profile"),
      value: config.profile,
      reason: "openai-compatible needs OPENAI_BASE_URL (the gateway's base URL ending in /v1).",
    });
  }
  return out;
}

/** Every setting that can be read, and a named problem for each one that cannot (it keeps its default). */
export function readConfig(options: LoadConfigOptions = {}): ConfigReading {
  const env = options.env ?? process.env;
  const flags = options.flags ?? {};
  const problems = unknownVariables(env);
  const values: Record<string, unknown> = {};
  for (const { key } of settingSources()) {
    const value = rawValue(key, env, flags, options.home);
    if (value === undefined) continue;
    const flag = SOURCES[key] as { flag?: string };
    const refused = unusable(key, value, flag.flag !== undefined && flags[flag.flag] !== undefined);
    const read = refused ? { ok: false as const, problem: refused } : readSetting(key, value);
    if (read.ok) values[key] = read.value;
    else {
      problems.push({ key, setting: settingName(key), value: shown(key, value), reason: read.problem });
      const fallback = key === "workspace" ? defaultWorkspace(options.home) : (DEFAULTS as Partial<Config>)[key];
      if (fallback !== undefined) values[key] = fallback;
    }
  }
  // No key means the embedded simulator: the server is useful (and honest about it) on a fresh machine.
  values.offline = values.offline === true || values.apiKey === undefined;
  const config = ConfigSchema.parse(values);
  problems.push(...crossChecks(config));
  return {
    config: { ...config, workspace: resolve(config.workspace), readRoots: config.readRoots.map((r) => resolve(r)) },
    problems,
  };
}

/** The configuration in force, or a ConfigError naming every setting that could not be read. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const { config, problems } = readConfig(options);
  if (problems.length > 0) throw new ConfigError(problems.map(problemSentence).join(" "));
  return config;
}
