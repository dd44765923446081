// The configuration as environment variables: how a process hands its exact configuration to another (the
// detached runner), flags included, the key never on a command line or in a file.

import { type Config, LISTS, type SettingKey, settingSources } from "./config.js";

/** A value of the configuration as its environment variable spells it (the inverse of reading it). */
function envValue(key: SettingKey, value: unknown): string {
  if (typeof value === "boolean") return value ? "1" : "0";
  if (Array.isArray(value)) return value.join(LISTS[key] ?? ",");
  return String(value);
}

/**
 * The configuration as environment variables, for a process that must run with exactly this configuration (the
 * detached runner): flags included, nothing inherited that the configuration does not say. Secrets travel in the
 * environment only, never on a command line or in a file.
 */
export function configEnv(config: Config, base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  const ours = new Set(settingSources().map((s) => s.env));
  for (const [name, value] of Object.entries(base)) if (value !== undefined && !ours.has(name)) env[name] = value;
  for (const { key, env: name } of settingSources()) {
    const value = config[key];
    if (value === undefined) continue;
    // Offline without a key is what no key means; an explicit offline with a key is kept as such.
    if (key === "offline" && value === true && config.apiKey === undefined) continue;
    env[name] = envValue(key, value);
  }
  return env;
}
