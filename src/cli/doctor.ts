// `pixelwright doctor`: everything that can be checked for free, one line per check with ✓ or ✗ and the fix.
// Exit 1 when any check fails. It generates no image, spends nothing, and never prints a secret.

import { homedir } from "node:os";
import { type Config, type ConfigReading, readConfig, SECRET_SETTINGS, settingOrigins } from "../config.js";
import { createLogger } from "../log.js";
import { writeStdout } from "../output.js";
import { redactDeep, redactText, registerSecret, registerUrlSecret } from "../secrets.js";
import { VERSION } from "../version.js";
import {
  type Check,
  type CheckStatus,
  httpChecks,
  maskSecret,
  systemChecks,
  upstreamChecks,
  workspaceChecks,
} from "./doctor-checks.js";
import { findClientEntries, probeClient } from "./doctor-clients.js";
import { replicaChecks } from "./replicas-check.js";
import { selfCommand } from "./self.js";

export type { Check, CheckStatus } from "./doctor-checks.js";

export interface Setting {
  env: string;
  flag: string | null;
  value: string;
  source: "default" | "env" | "flag";
}

type Flags = Record<string, string | boolean>;

export interface DoctorReport {
  ok: boolean;
  version: string;
  settings: Setting[];
  checks: Check[];
}

export interface DoctorOptions {
  env?: NodeJS.ProcessEnv;
  flags?: Record<string, string | boolean>;
  home?: string;
  cwd?: string;
  /** The address `pixelwright http` would bind (--host). */
  host?: string;
  /** How long a client's command may take to answer --version. */
  clientTimeoutMs?: number;
}

/** A URL with its password (Redis) shown as …. */
function maskUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = "…";
    return url.toString();
  } catch {
    return "(set, not a URL)";
  }
}

function showValue(key: keyof Config, value: unknown): string {
  if (key === "redisUrl" && typeof value === "string") return maskUrl(value);
  if (SECRET_SETTINGS.has(key)) return maskSecret(value as string | undefined);
  if (value === undefined) return "(not set)";
  if (Array.isArray(value)) return value.length ? value.join(", ") : "(none)";
  return String(value);
}

function settingsOf(
  config: Config,
  reading: ConfigReading["problems"],
  env: NodeJS.ProcessEnv,
  flags: Flags,
): Setting[] {
  return settingOrigins(env, flags).map((o) => {
    const problem = reading.find((p) => p.key === o.key);
    const value = showValue(o.key, config[o.key]);
    return {
      env: o.env,
      flag: o.flag,
      value: problem ? `${value} (in place of '${problem.value}', which could not be read)` : value,
      source: o.source,
    };
  });
}

async function clientChecks(options: Required<Pick<DoctorOptions, "env" | "home" | "cwd" | "clientTimeoutMs">>) {
  const { entries, unreadable } = await findClientEntries({
    home: options.home,
    cwd: options.cwd,
    platform: process.platform,
    env: options.env,
  });
  const checks: Check[] = unreadable.map((u) => ({
    group: "clients",
    name: u.client,
    status: "fail",
    detail: `${u.file} mentions pixelwright but cannot be read: ${u.reason}`,
    fix: `fix the JSON syntax of ${u.file}`,
  }));
  const probes = await Promise.all(
    entries.map((entry) =>
      probeClient(entry, { env: options.env, platform: process.platform, timeoutMs: options.clientTimeoutMs }),
    ),
  );
  for (const p of probes) {
    const older = p.ok && p.version && p.version !== VERSION;
    checks.push({
      group: "clients",
      name: p.entry.client,
      status: p.ok ? (older ? "warn" : "ok") : "fail",
      detail: `${p.entry.file} "${p.entry.name}": ${p.detail}${older ? `, not this ${VERSION}` : ""}`,
      fix: p.fix ?? (older ? `update the command in ${p.entry.file} to this version, or reinstall` : null),
    });
  }
  if (checks.length === 0) {
    checks.push({
      group: "clients",
      name: "MCP clients",
      status: "skip",
      detail: "no MCP client configuration on this machine names pixelwright (see 'Connect your client' in the README)",
      fix: null,
    });
  }
  return checks;
}

export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const env = options.env ?? process.env;
  const flags = options.flags ?? {};
  const home = options.home ?? homedir();
  const checks: Check[] = await systemChecks();
  // A setting that cannot be read is one failed check; the others keep running on the rest of the configuration.
  const { config, problems } = readConfig({ env, flags, home });
  registerSecret(config.apiKey ?? env.OPENAI_API_KEY);
  registerSecret(config.httpToken ?? env.PIXELWRIGHT_HTTP_TOKEN);
  registerUrlSecret(config.redisUrl ?? env.PIXELWRIGHT_REDIS_URL);
  for (const problem of problems) {
    checks.push({
      group: "configuration",
      name: problem.setting,
      status: "fail",
      detail: problem.reason,
      fix:
        problem.key === null
          ? "rename or unset the variable"
          : `correct or unset it (the checks below use its default); ${selfCommand()} --help lists the settings`,
    });
  }
  const settings = settingsOf(config, problems, env, flags);
  const logger = createLogger("silent");
  const [workspace, upstream, replicas] = await Promise.all([
    workspaceChecks(config),
    upstreamChecks(config, logger),
    replicaChecks(config),
  ]);
  checks.push(...workspace, ...upstream, ...httpChecks(config, options.host ?? "127.0.0.1"), ...replicas);
  checks.push(
    ...(await clientChecks({
      env,
      home,
      cwd: options.cwd ?? process.cwd(),
      clientTimeoutMs: options.clientTimeoutMs ?? 15_000,
    })),
  );
  // A last guard: whatever a provider or a command echoed, no secret leaves in a report.
  return redactDeep({ ok: !checks.some((c) => c.status === "fail"), version: VERSION, settings, checks });
}

const MARK: Record<CheckStatus, string> = { ok: "✓", warn: "!", fail: "✗", skip: "–" };
const TITLES: Record<Check["group"], string> = {
  system: "System",
  configuration: "Configuration",
  workspace: "Workspace",
  upstream: "Upstream (no image is generated, nothing is billed)",
  http: "HTTP (pixelwright http)",
  replicas: "Replicas (PIXELWRIGHT_REDIS_URL)",
  clients: "MCP clients on this machine",
};

/** The report for a person: a heading per group, one line per check, the fix on the same line. */
export function renderDoctor(report: DoctorReport): string {
  const lines = [`pixelwright doctor ${report.version}`];
  for (const group of Object.keys(TITLES) as Array<Check["group"]>) {
    const checks = report.checks.filter((c) => c.group === group);
    const settings = group === "configuration" ? report.settings : [];
    if (checks.length === 0 && settings.length === 0) continue;
    lines.push("", group === "configuration" ? "Configuration (flag > environment > default)" : TITLES[group]);
    const width = Math.max(0, ...settings.map((s) => s.env.length));
    for (const s of settings) {
      const from = s.source === "flag" ? `flag --${s.flag}` : s.source === "env" ? "environment" : "default";
      lines.push(`    ${s.env.padEnd(width)}  ${s.value}  (${from})`);
    }
    for (const c of checks) lines.push(`  ${MARK[c.status]} ${c.name}: ${c.detail}${c.fix ? ` → fix: ${c.fix}` : ""}`);
  }
  const failed = report.checks.filter((c) => c.status === "fail").length;
  lines.push("", failed === 0 ? "All checks passed." : `${failed} check${failed > 1 ? "s" : ""} failed.`);
  return redactText(lines.join("\n"));
}

/** The command: the report as text (or --json), exit 1 when any check failed. */
export async function runDoctorCommand(options: DoctorOptions & { json: boolean }): Promise<number> {
  const report = await runDoctor(options);
  await writeStdout(options.json ? JSON.stringify(report, null, 2) : renderDoctor(report));
  return report.ok ? 0 : 1;
}
