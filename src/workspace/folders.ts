// Why a folder pixelwright keeps (the workspace, its `.pixelwright/` state folder) cannot be made or written, as what
// is wrong and what to do: the path at fault is named (a file where a folder should be, a read-only file system, no
// permission), never only the system's code. The server's error and doctor's line say the same.

import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { WorkspaceError } from "../errors.js";

/** What is wrong, and what to do about it: one line of doctor, or one error sentence ("detail: fix."). */
export interface Problem {
  detail: string;
  fix: string;
}

export const FIX_WORKSPACE =
  "set PIXELWRIGHT_WORKSPACE (or --workspace) to a folder you can write, e.g. ~/Pictures/pixelwright";

/** The error a problem becomes where the server meets it: one sentence naming the path and the fix. */
export function unusable(problem: Problem, cause?: unknown): WorkspaceError {
  return new WorkspaceError(`${problem.detail}: ${problem.fix}.`, { cause });
}

/** The system's sentence without its code in front ("EROFS: read-only file system, open …" → "read-only …"). */
export function systemMessage(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  const message = String(e?.message ?? err);
  return e?.code && message.startsWith(`${e.code}: `) ? message.slice(e.code.length + 2) : message;
}

/** The nearest path at or above `path` that exists, and whether it is a directory (null: none can be read). */
export async function nearestExisting(path: string): Promise<{ path: string; isDirectory: boolean } | null> {
  let at = path;
  for (;;) {
    const info = await stat(at).catch((err: NodeJS.ErrnoException) => (err.code === "ENOENT" ? null : err));
    if (info && !(info instanceof Error)) return { path: at, isDirectory: info.isDirectory() };
    if (info instanceof Error && info.code !== "ENOTDIR") return null;
    const up = dirname(at);
    if (up === at) return null;
    at = up;
  }
}

/** Why a folder at `path` cannot be made or written, after `err`: the path at fault and the reason, in words. */
export async function whyNotWritable(path: string, err: unknown): Promise<string> {
  const found = await nearestExisting(path);
  if (found && !found.isDirectory) return `${found.path} is a file, not a folder`;
  const at = found?.path ?? path;
  // A recursive mkdir on a read-only mount says ENOENT: asking the folder that exists gives the real reason.
  const probe = await access(at, constants.W_OK).then(
    () => null,
    (e: NodeJS.ErrnoException) => e,
  );
  const code = probe?.code ?? (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === "EROFS") return `${at} is on a read-only file system`;
  if (code === "EACCES" || code === "EPERM") return `${at} may not be written by this user (permission denied)`;
  if (code === "ENOSPC") return `the disk of ${at} is full`;
  return `${path}: ${systemMessage(err)}`;
}

/** The workspace folder cannot be made or written. */
export async function workspaceProblem(root: string, err: unknown): Promise<Problem> {
  return { detail: `the workspace ${root} cannot be used: ${await whyNotWritable(root, err)}`, fix: FIX_WORKSPACE };
}

/** The state folder (the job book's home) cannot be made or written: a file in its place is moved aside. */
export async function stateFolderProblem(dir: string, err: unknown): Promise<Problem> {
  const reason = await whyNotWritable(dir, err);
  if (reason === `${dir} is a file, not a folder`) {
    return {
      detail: `${reason} (pixelwright keeps its job book in that folder)`,
      fix: "move that file aside; pixelwright makes the folder itself",
    };
  }
  return { detail: `${dir} cannot be used (pixelwright keeps its job book there): ${reason}`, fix: FIX_WORKSPACE };
}
