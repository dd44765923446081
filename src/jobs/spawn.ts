// Starting a detached runner: a process in its own session and process group (so a client that kills the server's
// group, or closes its terminal, does not reach it), with no stdin or stdout, its stderr in a log file, and
// unreferenced (the server may exit while it runs).

import { spawn } from "node:child_process";

export interface DetachedCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
  /** An open file descriptor for the process's stderr (its log). */
  stderr: number;
  cwd?: string;
}

/** Starts the process and returns its pid once it is running; it outlives this process. */
export function spawnDetached(command: DetachedCommand): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command.command, command.args, {
      detached: true,
      stdio: ["ignore", "ignore", command.stderr],
      env: command.env,
      ...(command.cwd ? { cwd: command.cwd } : {}),
      windowsHide: true,
    });
    child.once("error", reject);
    child.once("spawn", () => {
      child.unref();
      resolve(child.pid as number);
    });
  });
}
