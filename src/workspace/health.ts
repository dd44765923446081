// The workspace as `pixelwright doctor` sees it, without changing it: does it exist (or can it be created), can a
// file be written there (a probe file, written and removed), free space, the manifest, leftover temp files.

import { randomBytes } from "node:crypto";
import { readdir, readFile, statfs, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { nearestExisting, systemMessage } from "./folders.js";
import { MANIFEST, TEMP_PREFIX } from "./workspace.js";

export interface WorkspaceHealth {
  root: string;
  /** "exists"; "missing" (the server creates it at start); "not-a-directory" (it, or a folder above it, is a file). */
  state: "exists" | "missing" | "not-a-directory" | "unreachable";
  /** The nearest folder that exists: the root itself, or where the server would create it. */
  existingAncestor: string | null;
  /** Could a file be created where the images go (or where the workspace would be created)? */
  writable: boolean;
  /** Why not, in the system's words (EACCES, EROFS, ENOTDIR ...). */
  writeError: string | null;
  freeBytes: number | null;
  manifest: { present: boolean; lines: number; badLines: number; error: string | null };
  /** Temp files left by a crashed process (removed at the next start when older than a minute). */
  orphanTemps: number;
}

/** "EROFS: read-only file system, open '…'": the code once, then the system's words. */
function errorText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code ? `${code}: ${systemMessage(err)}` : systemMessage(err);
}

async function probeWrite(dir: string): Promise<string | null> {
  const probe = join(dir, `${TEMP_PREFIX}doctor-${randomBytes(6).toString("hex")}`);
  try {
    await writeFile(probe, "pixelwright doctor write probe\n", { flag: "wx" });
    await unlink(probe);
    return null;
  } catch (err) {
    await unlink(probe).catch(() => {});
    return errorText(err);
  }
}

async function readManifest(root: string): Promise<WorkspaceHealth["manifest"]> {
  let text: string;
  try {
    text = await readFile(join(root, MANIFEST), "utf8");
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
    return { present: false, lines: 0, badLines: 0, error: missing ? null : errorText(err) };
  }
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  let badLines = 0;
  for (const line of lines) {
    try {
      JSON.parse(line);
    } catch {
      badLines++;
    }
  }
  return { present: true, lines: lines.length, badLines, error: null };
}

export async function inspectWorkspace(root: string): Promise<WorkspaceHealth> {
  const health: WorkspaceHealth = {
    root,
    state: "unreachable",
    existingAncestor: null,
    writable: false,
    writeError: null,
    freeBytes: null,
    manifest: { present: false, lines: 0, badLines: 0, error: null },
    orphanTemps: 0,
  };
  const found = await nearestExisting(root);
  if (!found) {
    health.writeError = "no folder above it can be read";
    return health;
  }
  health.existingAncestor = found.path;
  if (!found.isDirectory) {
    health.state = "not-a-directory";
    health.writeError = `${found.path} is a file, not a folder`;
    return health;
  }
  health.state = found.path === root ? "exists" : "missing";
  health.writeError = await probeWrite(found.path);
  health.writable = health.writeError === null;
  const fs = await statfs(found.path).catch(() => null);
  health.freeBytes = fs ? Number(fs.bavail) * Number(fs.bsize) : null;
  if (health.state === "exists") {
    health.manifest = await readManifest(root);
    const names = await readdir(root).catch(() => [] as string[]);
    health.orphanTemps = names.filter((n) => n.startsWith(TEMP_PREFIX)).length;
  }
  return health;
}
