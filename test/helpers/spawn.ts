import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

export const CLI = resolve(import.meta.dirname, "../../dist/cli.js");

export function tempWorkspace(): string {
  return mkdtempSync(join(tmpdir(), "pixelwright-e2e-"));
}

/** The environment a fresh machine gives the server: no key, no leftovers from the developer's shell. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("OPENAI_") && !key.startsWith("PIXELWRIGHT_")) env[key] = value;
  }
  // A detached runner left idle by a test exits after 5 s instead of a minute.
  return { ...env, PIXELWRIGHT_LOG_LEVEL: "warn", PIXELWRIGHT_RUNNER_IDLE_SECONDS: "5", ...extra };
}

export interface SpawnedClient {
  client: Client;
  transport: StdioClientTransport;
  stderr: () => string;
  close(): Promise<void>;
}

/** The built CLI spawned over stdio by the SDK's own client, as Claude Desktop or an IDE would run it. */
export async function spawnClient(env: Record<string, string>, args: string[] = []): Promise<SpawnedClient> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, ...args],
    env: cleanEnv(env),
    stderr: "pipe",
  });
  let err = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const client = new Client({ name: "e2e", version: "0" });
  await client.connect(transport);
  return { client, transport, stderr: () => err, close: () => client.close() };
}

/** Spawn the CLI and collect everything, for tests that read raw stdout. */
export function spawnRaw(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { env: cleanEnv(env), stdio: ["pipe", "pipe", "pipe"] });
}

export type CliRun = { code: number | null; stdout: string; stderr: string };

/** Everything a spawned CLI writes, and its exit code, once it has closed. */
export function collect(child: ChildProcess): Promise<CliRun> {
  return new Promise((resolvePromise) => {
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.on("close", (code) => resolvePromise({ code, stdout, stderr }));
  });
}

export function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  const child = spawnRaw(args, env);
  child.stdin?.end();
  return collect(child);
}
