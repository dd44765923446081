// `pixelwright call <tool> '<json>'`: one tool call through the in-process client, with progress on stderr, the
// result on stdout (a few readable lines on a terminal, the structured JSON for scripts) and an exit code that says
// whether it worked.

import type { CallToolResult } from "@modelcontextprotocol/client";
import { CONFIGURATION_PREFIX, InputError } from "../errors.js";
import { isLive } from "../jobs/book.js";
import type { LogLevel } from "../log.js";
import { writeStderr, writeStdout } from "../output.js";
import type { Runtime } from "../runtime.js";
import { type CallOptions, callTool, parseToolArguments } from "./call.js";
import { createProgressDisplay } from "./progress.js";
import { selfCommand } from "./self.js";

// The exit codes' sentence lives with the help text (serving loads it; the call machinery loads on demand).
export { EXIT_CODES_HELP } from "./help.js";
// `tools` uses the same in-process client: one module to load on demand for both commands.
export { runToolsCommand } from "./tools.js";

export const EXIT_OK = 0;
/** The call failed: a generation or verification with status "failed", or the tool refused the request. */
export const EXIT_FAILED = 1;
/** Bad usage or configuration: nothing was sent (also a port already in use). */
export const EXIT_USAGE = 2;

export type OutputMode = "json" | "text";

/** --json, or stdout is not a terminal: the structured result. A person at a terminal: the readable lines. */
export function outputMode(json: boolean, stdoutIsTTY: boolean): OutputMode {
  return json || !stdoutIsTTY ? "json" : "text";
}

function structured(result: CallToolResult): Record<string, unknown> {
  return (result.structuredContent ?? {}) as Record<string, unknown>;
}

/** 1 when the tool refused or the result's status is "failed"; 0 for everything else (completed, verified, running). */
export function exitCodeFor(result: CallToolResult): number {
  if (result.isError) return EXIT_FAILED;
  return structured(result).status === "failed" ? EXIT_FAILED : EXIT_OK;
}

function firstText(result: CallToolResult): string {
  const block = result.content.find((c) => c.type === "text");
  return block && block.type === "text" ? block.text : "";
}

/** The readable form: the result's headline sentence, each saved path, the caveats and what to do next. */
export function renderText(result: CallToolResult): string {
  const data = structured(result);
  const lines = [firstText(result).split("\n")[0] ?? ""];
  const images = Array.isArray(data.images) ? (data.images as Array<{ path?: unknown }>) : [];
  for (const image of images) if (typeof image.path === "string") lines.push(`  saved: ${image.path}`);
  const caveats = Array.isArray(data.caveats) ? data.caveats : [];
  for (const caveat of caveats) if (typeof caveat === "string") lines.push(`  note: ${caveat}`);
  if (typeof data.next === "string" && data.next) lines.push(`  next: ${data.next}`);
  return lines.join("\n");
}

/** `call <tool> '<json>'`: the tool and its arguments, or a sentence saying how to write them. */
export function callArguments(rest: string[]): { tool: string; args: Record<string, unknown> } {
  const [tool, json, ...extra] = rest;
  if (!tool)
    throw new InputError(`call needs a tool name, e.g. ${selfCommand()} call validate_size '{"size":"1920x1080"}'.`);
  if (extra.length > 0) throw new InputError("pass the tool arguments as one quoted JSON object.");
  return { tool, args: parseToolArguments(json) };
}

/**
 * One-shot calls keep the terminal for the progress and the result unless the user asked for logs: warnings only,
 * and on a terminal errors only (what a warning says, such as the offline simulator, is in the result's caveats).
 */
export function callLogLevel(
  configured: LogLevel,
  flags: Record<string, unknown>,
  stderrIsTTY = process.stderr.isTTY === true,
  env: NodeJS.ProcessEnv = process.env,
): LogLevel {
  if (env.PIXELWRIGHT_LOG_LEVEL || flags["log-level"] !== undefined) return configured;
  return stderrIsTTY ? "error" : "warn";
}

export interface CallCommandOptions {
  tool: string;
  args: Record<string, unknown>;
  json: boolean;
  quiet: boolean;
  stdoutIsTTY?: boolean;
  stderrIsTTY?: boolean;
}

function runningJob(result: CallToolResult): string | null {
  const structured = result.structuredContent as { status?: unknown; job_id?: unknown } | undefined;
  if (result.isError || structured?.status !== "running" || typeof structured.job_id !== "string") return null;
  return structured.job_id;
}

/** A generate_batch result, or verify_image's look at a batch. */
function isBatch(result: CallToolResult): boolean {
  return (result.structuredContent as { batch?: unknown } | undefined)?.batch !== undefined;
}

/**
 * A job still running when the call returns is followed to its end (the person asked for an image, not a job id); it
 * runs in the detached runner, so an interrupted call leaves it running there, collectable by its job_id.
 */
async function followJob(
  runtime: Runtime,
  first: CallToolResult,
  onprogress: CallOptions["onprogress"],
  interrupted: () => boolean,
): Promise<{ result: CallToolResult; rounds: number }> {
  let result = first;
  // A batch answers at once, as the tool does, and is collected on demand (the Batch API keeps its answers for 24 h):
  // it is never followed. A batch this process sends itself (in-process runner) is sent before exiting, or it would
  // be abandoned; then what became of it (created, refused, already answered) is what the call prints.
  if (isBatch(result)) {
    const jobId = runningJob(result);
    if (jobId === null || runtime.runnerMode !== "in-process") return { result, rounds: 0 };
    await runtime.images.jobEnded(jobId);
    if (interrupted()) return { result, rounds: 0 };
    const seen = await callTool(
      runtime,
      "verify_image",
      { job_id: jobId, wait_seconds: 0 },
      onprogress ? { onprogress } : {},
    );
    return { result: seen, rounds: 1 };
  }
  let rounds = 0;
  for (let jobId = runningJob(result); jobId !== null && !interrupted(); jobId = runningJob(result)) {
    rounds++;
    result = await callTool(
      runtime,
      "verify_image",
      { job_id: jobId, wait_seconds: 600 },
      onprogress ? { onprogress } : {},
    );
  }
  return { result, rounds };
}

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/**
 * What an interrupted call leaves behind, in one sentence. A job this call alone waited on that was not sent yet is
 * cancelled here (nothing paid); a sent one goes on in the runner, and the sentence says how to collect it.
 */
async function leaveJob(runtime: Runtime, result: CallToolResult, callsOnIt: number): Promise<string> {
  const jobId = runningJob(result);
  if (jobId === null) {
    const said = `${firstText(result)} ${JSON.stringify(result.structuredContent ?? {})}`;
    return /cancelled before its request was sent/.test(said)
      ? "interrupted: the job was cancelled before its request was sent; nothing was paid."
      : `interrupted: ${firstText(result)}`;
  }
  const job = await runtime.book.get(jobId);
  if (job && isLive(job) && !job.sent && job.attachments <= callsOnIt) {
    const after = await runtime.book.cancel(jobId, "the call was interrupted");
    if (after?.status === "cancelled" || (after && !after.sent && after.cancelRequested !== null)) {
      return `interrupted: job ${jobId} was cancelled before its request was sent; nothing was paid.`;
    }
  }
  const why = job?.sent === false ? "another caller waits on it" : "its request was sent (it is paid for)";
  return `interrupted: job ${jobId} goes on in the background because ${why}; collect it with: call verify_image '{"job_id":"${jobId}"}'`;
}

/** Runs the call and prints it; returns the exit code (128 + the signal's number when interrupted). */
export async function runCallCommand(runtime: Runtime, options: CallCommandOptions): Promise<number> {
  const stderrIsTTY = options.stderrIsTTY ?? process.stderr.isTTY === true;
  const display = createProgressDisplay({ stream: process.stderr, tty: stderrIsTTY, quiet: options.quiet });
  // On a terminal the line appears within half a second even while the server is still starting the job.
  const early = setTimeout(() => display.begin(), 400);
  // Ctrl-C or SIGTERM: the call stops waiting and answers with the job as it is (a second signal ends it at once).
  let interrupted: string | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(SIGNAL_EXIT[signal] ?? 1);
    interrupted = signal;
    runtime.images.leaveWaiters();
  };
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  for (const signal of signals) process.on(signal, onSignal);
  let result: CallToolResult;
  let rounds = 0;
  try {
    // The start warnings (the offline simulator) follow the checks: a misspelt tool or argument is refused first.
    const onChecked = () => runtime.announce();
    result = await callTool(runtime, options.tool, options.args, { onprogress: display.onprogress, onChecked });
    ({ result, rounds } = await followJob(runtime, result, display.onprogress, () => interrupted !== null));
  } finally {
    clearTimeout(early);
    display.stop();
    for (const signal of signals) process.off(signal, onSignal);
  }
  const mode = outputMode(options.json, options.stdoutIsTTY ?? process.stdout.isTTY === true);
  if (interrupted !== null) {
    writeStderr(await leaveJob(runtime, result, 1 + rounds));
    if (!result.isError)
      await writeStdout(mode === "json" ? JSON.stringify(result.structuredContent, null, 2) : renderText(result));
    return SIGNAL_EXIT[interrupted] ?? EXIT_FAILED;
  }
  if (result.isError) {
    writeStderr(firstText(result));
    // A set-up to fix (a setting, a workspace or job book that cannot be used): nothing was sent.
    return firstText(result).startsWith(CONFIGURATION_PREFIX) ? EXIT_USAGE : EXIT_FAILED;
  }
  await writeStdout(mode === "json" ? JSON.stringify(result.structuredContent, null, 2) : renderText(result));
  return exitCodeFor(result);
}
