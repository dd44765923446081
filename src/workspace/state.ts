// The workspace's own folder, `.pixelwright/`: the job book's database, the inputs of queued jobs, and the log of the
// detached runner. Hidden from the image listings (a dot name), kept beside the images it describes.

import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { type FileHandle, mkdir, open, readdir, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { readInRoots } from "./files.js";
import { stateFolderProblem, unusable } from "./folders.js";
import type { Workspace } from "./workspace.js";

export const STATE_DIR = ".pixelwright";
/** The job book's database in the state folder. */
export const STATE_DB = "state.db";
const RUNNER_LOG = "runner.log";
const MAX_LOG_BYTES = 5 * 1024 * 1024;

/** The state folder (created when missing) and the job book's database file in it; a WorkspaceError saying why not. */
export async function stateFolder(workspace: Workspace): Promise<{ dir: string; database: string; previews: string }> {
  const root = await workspace.init();
  const dir = join(root, STATE_DIR);
  try {
    await mkdir(join(dir, "inputs"), { recursive: true });
    await mkdir(join(dir, "previews"), { recursive: true });
  } catch (err) {
    throw unusable(await stateFolderProblem(dir, err), err);
  }
  return { dir, database: join(dir, STATE_DB), previews: join(dir, "previews") };
}

/** Previews are kept a day: long enough for any process to answer with the job's result, then swept. */
const PREVIEW_TTL_MS = 24 * 60 * 60 * 1000;
const MAX_PREVIEW_BYTES = 1 << 20;

/**
 * Keeps the default preview of a saved image (encoded by the worker from the pixels it had in memory), named by the
 * image's sha256, so whichever process answers with the result shows it without decoding the 4K file again.
 */
export async function savePreview(workspace: Workspace, sha256: string, preview: unknown): Promise<void> {
  if (!/^[0-9a-f]{64}$/.test(sha256)) return;
  const { previews } = await stateFolder(workspace);
  const target = join(previews, `${sha256}.json`);
  const temp = join(previews, `.tmp-${process.pid}-${randomBytes(6).toString("hex")}.json`);
  try {
    await writeFile(temp, JSON.stringify(preview), { flag: "wx" });
    await rename(temp, target);
  } finally {
    await unlink(temp).catch(() => {});
  }
}

/** The kept preview of an image by its sha256 (opened like every file: no link followed), or null. */
export async function readPreview(workspace: Workspace, sha256: string): Promise<unknown> {
  if (!/^[0-9a-f]{64}$/.test(sha256)) return null;
  const { previews } = await stateFolder(workspace);
  try {
    const roots = { real: [previews], lexical: [previews] };
    const file = await readInRoots(`${sha256}.json`, roots, { what: "preview", maxBytes: MAX_PREVIEW_BYTES });
    return JSON.parse(file.bytes.toString("utf8")) as unknown;
  } catch {
    return null;
  }
}

/** Removes previews older than a day (any process opening the workspace does it). */
export async function sweepPreviews(workspace: Workspace, now = Date.now()): Promise<void> {
  const { previews } = await stateFolder(workspace);
  for (const name of await readdir(previews).catch(() => [] as string[])) {
    const path = join(previews, name);
    const info = await stat(path).catch(() => null);
    if (info && now - info.mtimeMs > PREVIEW_TTL_MS) await unlink(path).catch(() => {});
  }
}

export interface StagedFile {
  name: string;
  bytes: Uint8Array;
}

/**
 * Copies the input files of a job (reference images, mask) into the state folder, exactly the bytes that were
 * checked: the worker that sends the job — another process, perhaps — reads these copies from the workspace, never a
 * path the caller named (it may not be allowed to read it, and the file there may have changed since). Returns the
 * folder and the copies' paths, in order.
 */
export async function stageInputs(
  workspace: Workspace,
  files: StagedFile[],
): Promise<{ dir: string; paths: string[] } | null> {
  if (files.length === 0) return null;
  const { dir: state } = await stateFolder(workspace);
  const dir = join(state, "inputs", randomBytes(12).toString("hex"));
  await mkdir(dir);
  const paths: string[] = [];
  for (const [i, file] of files.entries()) {
    // One folder per file keeps each file's own name (the name goes upstream with it).
    const folder = join(dir, String(i));
    await mkdir(folder);
    const path = join(folder, basename(file.name) || `input-${i}`);
    await writeFile(path, file.bytes, { flag: "wx" });
    paths.push(path);
  }
  return { dir, paths };
}

/** Removes a job's staged inputs once it ended (only ever inside the state folder's inputs/). */
export async function removeStaged(workspace: Workspace, dir: string): Promise<void> {
  const { dir: state } = await stateFolder(workspace);
  const inputs = join(state, "inputs");
  if (!dir.startsWith(`${inputs}/`) || dir.includes("..")) return;
  await rm(dir, { recursive: true, force: true });
}

/**
 * The detached runner's log (its stderr): appended to, never followed through a symlink, started afresh once over
 * 5 MB (the previous one kept as runner.log.1). The caller hands its descriptor to the runner and closes it.
 */
export async function openRunnerLog(workspace: Workspace): Promise<FileHandle> {
  const { dir } = await stateFolder(workspace);
  const path = join(dir, RUNNER_LOG);
  const size = await stat(path).then(
    (s) => s.size,
    () => 0,
  );
  if (size > MAX_LOG_BYTES) await rename(path, `${path}.1`).catch(() => {});
  return open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
}
