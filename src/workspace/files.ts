// The one way to open a file a request names (reference image, mask, verify_image path, resource): opened once, by
// descriptor, never reopened by name. A symlink as the last component is refused (O_NOFOLLOW); the descriptor's real
// location (as the kernel names it, or its device and inode matched to the real path) is checked against the roots
// before a byte is read;
// the size comes from fstat and is capped before reading. Every path that is outside the roots, or a link, gets the
// same answer, so a caller cannot probe what exists outside.

import { createHash } from "node:crypto";
import { constants, existsSync, type Stats } from "node:fs";
import { type FileHandle, open, readlink, realpath, stat } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { InputError } from "../errors.js";

export interface ReadableRoots {
  /** Real paths (symlinks resolved) of the folders that may be read; the first is the base of relative paths. */
  real: readonly string[];
  /** The same folders as configured (unresolved), for the check before anything touches the disk. */
  lexical: readonly string[];
}

export interface OpenOptions {
  /** What the request calls the file, for messages: "reference_images[0]", "mask", "path". */
  what: string;
  /** Refuse (before reading a byte) a file larger than this. */
  maxBytes: number;
}

export interface OpenedFile {
  /** The real path of the opened file (inside a root). */
  path: string;
  /** Its size in bytes, from fstat of the open descriptor. */
  size: number;
  /** The first `bytes` bytes (or the whole file when smaller): for header checks. */
  head(bytes: number): Promise<Buffer>;
  /** The whole file (at most `size` bytes: a file that grows after the check is not read further). */
  readAll(): Promise<Buffer>;
  /**
   * A path that names this open file itself, for a reader that takes paths (libvips streams a file it opens): on
   * Linux /proc/self/fd/N, which reaches the opened file even if its name was swapped since. Valid until close();
   * null where the system has no such path (read the bytes instead).
   */
  descriptorPath: string | null;
  /** The sha256 of its `size` bytes, read from the descriptor in pieces (never the whole file in memory). */
  sha256(): Promise<string>;
  /** Whether it still has the size and the change time it had when opened: nothing has written to it since. */
  unchanged(): Promise<boolean>;
  close(): Promise<void>;
}

// O_NONBLOCK: opening a FIFO must not hang the server; regular files read the same with it.
const FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

export function within(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

function withCause(error: InputError, cause: unknown): InputError {
  return new InputError(error.message, error.field, { cause });
}

/** True when a file could not be opened because it does not exist (ENOENT), not for any other reason. */
export function isMissing(err: unknown): boolean {
  const cause = (err as { cause?: unknown } | null)?.cause ?? err;
  return (cause as NodeJS.ErrnoException | null)?.code === "ENOENT";
}

function refusal(requested: string, what: string, roots: ReadableRoots): InputError {
  return new InputError(
    `${what} '${requested}' is outside the folders this server may read (${roots.real.join(", ")}) or is a symbolic link; name the file itself inside them, copy it into the workspace, open its folder as a root in your MCP client, or add it to PIXELWRIGHT_READ_ROOTS.`,
    what,
  );
}

/** Opens a file a request names, inside the roots, by descriptor; throws an InputError with one sentence otherwise. */
export async function openInRoots(requested: string, roots: ReadableRoots, options: OpenOptions): Promise<OpenedFile> {
  const { what } = options;
  if (requested.includes("\0")) throw new InputError(`${what} path contains a NUL byte.`, what);
  const base = roots.real[0];
  if (base === undefined) throw refusal(requested, what, roots);
  const candidate = isAbsolute(requested) ? resolve(requested) : resolve(base, requested);
  // Before touching the disk: a path that leaves every root lexically is refused without a look.
  if (![...roots.lexical, ...roots.real].some((r) => within(r, candidate))) throw refusal(requested, what, roots);

  let handle: FileHandle;
  try {
    handle = await open(candidate, FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // The system error stays the cause: a caller that must tell "missing" from "unreadable" reads its code.
    const cause = { cause: err };
    // ELOOP: the last component is a symlink (wherever it points, and whether or not its target exists).
    if (code === "ELOOP" || code === "EMLINK") throw withCause(refusal(requested, what, roots), err);
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw new InputError(
        `${what} '${requested}' does not exist (relative paths are read from ${base}).`,
        what,
        cause,
      );
    }
    if (code === "EISDIR") throw new InputError(`${what} '${requested}' is not a file.`, what, cause);
    throw new InputError(`${what} '${requested}' cannot be opened (${code ?? "error"}).`, what, cause);
  }
  try {
    const info = await handle.stat();
    const real = await locate(handle, candidate, info);
    if (!real || !roots.real.some((r) => within(r, real))) throw refusal(requested, what, roots);
    if (!info.isFile()) throw new InputError(`${what} '${requested}' is not a file.`, what);
    if (info.size > options.maxBytes) {
      throw new InputError(
        `${what} '${requested}' is ${formatBytes(info.size)}; the limit is ${formatBytes(options.maxBytes)}. Nothing was read or sent.`,
        what,
      );
    }
    return openedFile(handle, real, info);
  } catch (err) {
    await handle.close().catch(() => {});
    throw err;
  }
}

/**
 * Where the open descriptor really is. On Linux the kernel says (/proc/self/fd/N names the opened file itself, even
 * if its name has since been replaced). Elsewhere: the real path of the name, if it is still the very same file
 * (device and inode) — a name swapped for a link after the open shows up as a different path or inode.
 */
async function locate(handle: FileHandle, candidate: string, info: Stats): Promise<string | null> {
  if (process.platform === "linux") {
    const path = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => null);
    if (path?.startsWith("/")) return path.endsWith(DELETED) ? path.slice(0, -DELETED.length) : path;
  }
  const real = await realpath(candidate).catch(() => null);
  const named = real ? await stat(real).catch(() => null) : null;
  return real && named && named.dev === info.dev && named.ino === info.ino ? real : null;
}

const DELETED = " (deleted)";

const HASH_PIECE = 1024 * 1024;
const PROC_FD = process.platform === "linux" && existsSync("/proc/self/fd");

function openedFile(handle: FileHandle, path: string, info: Stats): OpenedFile {
  const { size } = info;
  const readFrom = async (length: number): Promise<Buffer> => {
    const buffer = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(buffer, filled, length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === length ? buffer : buffer.subarray(0, filled);
  };
  return {
    path,
    size,
    head: (bytes) => readFrom(Math.min(bytes, size)),
    readAll: () => readFrom(size),
    descriptorPath: PROC_FD ? `/proc/self/fd/${handle.fd}` : null,
    async sha256() {
      const hash = createHash("sha256");
      const piece = Buffer.allocUnsafe(Math.min(HASH_PIECE, Math.max(1, size)));
      for (let at = 0; at < size; ) {
        const { bytesRead } = await handle.read(piece, 0, Math.min(piece.length, size - at), at);
        if (bytesRead === 0) break;
        hash.update(piece.subarray(0, bytesRead));
        at += bytesRead;
      }
      return hash.digest("hex");
    },
    async unchanged() {
      const now = await handle.stat();
      return now.size === size && now.mtimeMs === info.mtimeMs && now.ctimeMs === info.ctimeMs;
    },
    close: () => handle.close(),
  };
}

/** Opens, reads the whole file and closes. */
export async function readInRoots(requested: string, roots: ReadableRoots, options: OpenOptions) {
  const file = await openInRoots(requested, roots, options);
  try {
    return { path: file.path, size: file.size, bytes: await file.readAll() };
  } finally {
    await file.close();
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} bytes`;
}

/**
 * Which folders a request may read besides the workspace: `true` none (a remote caller), `false` the configured
 * read roots, or those plus the roots the MCP client advertised (roots/list) for this connection.
 */
export type ReadAccess = boolean | { clientRoots: readonly string[] };

/** The roots a request may read: the workspace, plus the configured read roots (and the client's) unless remote. */
export async function rootsOf(
  workspace: { init(): Promise<string>; readonly root: string; readonly readRoots: readonly string[] },
  workspaceOnly: ReadAccess,
): Promise<ReadableRoots> {
  const root = await workspace.init();
  const extra =
    workspaceOnly === true
      ? []
      : workspaceOnly === false
        ? workspace.readRoots
        : [...workspace.readRoots, ...workspaceOnly.clientRoots];
  const resolved = await Promise.all(extra.map((r) => realpath(r).catch(() => null)));
  return {
    real: [root, ...resolved.filter((r): r is string => r !== null)],
    lexical: [resolve(workspace.root), ...extra.map((r) => resolve(r))],
  };
}
