// The only code that writes files. A root folder, a jail for every path a request names, unique names that never
// overwrite, atomic writes (temp file + link, the temp file always removed), a sidecar per image and one manifest line.

import { randomBytes } from "node:crypto";
import {
  appendFile,
  link,
  mkdir,
  readdir,
  readFile,
  realpath,
  rename,
  stat,
  unlink,
  writeFile,
} from "node:fs/promises";
import { basename, dirname, extname, join, resolve } from "node:path";
import { formatOfName, mimeType, sniffImage } from "../contract/formats.js";
import { type JobRecord, JobRecordSchema, type SidecarRecord, SidecarRecordSchema } from "../contract/schemas.js";
import { ConfigError, errorMessage, InputError } from "../errors.js";
import { isMissing, type OpenedFile, openInRoots, type ReadAccess, readInRoots, rootsOf, within } from "./files.js";
import { unusable, workspaceProblem } from "./folders.js";

export type { ReadAccess } from "./files.js";

export const MANIFEST = "manifest.jsonl";
export const TEMP_PREFIX = ".tmp-";
/** The largest file served as a resource (a 4K PNG is about 25 MB). */
const MAX_RESOURCE_BYTES = 64 * 1024 * 1024;
/** One line per finished job (completed or failed): the spend cap and later processes read it. */
export const JOBS = "jobs.jsonl";

/** A file stem built from a user's filename or a prompt: letters, digits, '-' and '_' only, never a path. */
export function slugify(text: string, max = 40): string {
  const slug = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/\.(png|jpe?g|webp|gif)$/i, "")
    .replace(/[^A-Za-z0-9_-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^[-_]+|[-_]+$/g, "")
    .slice(0, max)
    .replace(/[-_]+$/g, "")
    .toLowerCase();
  return slug || "image";
}

function timestamp(now: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
}

export interface SavedFile {
  name: string;
  path: string;
}

export class Workspace {
  private rootReal: string | undefined;
  private manifestQueue: Promise<void> = Promise.resolve();
  private appendLock: ((append: () => Promise<void>) => Promise<void>) | null = null;

  constructor(
    readonly root: string,
    readonly readRoots: readonly string[] = [],
  ) {}

  /** Creates the root if needed and returns its real path (symlinks resolved). */
  async init(): Promise<string> {
    if (!this.rootReal) {
      try {
        await mkdir(this.root, { recursive: true });
        this.rootReal = await realpath(this.root);
      } catch (err) {
        throw unusable(await workspaceProblem(this.root, err), err);
      }
    }
    return this.rootReal;
  }

  /** `YYYYMMDD-HHMMSS-<slug>-<id>.<ext>`: sortable, readable, and unique without looking at the disk. */
  newName(stemSource: string, ext: string, now = new Date()): string {
    return `${timestamp(now)}-${slugify(stemSource)}-${randomBytes(3).toString("hex")}.${ext}`;
  }

  /**
   * `YYYYMMDD-HHMMSS-<slug>-<tag>.<ext>`, the same name every time for the same stem, tag and time: a writer that
   * may run again (a batch collected after an interruption) finds what it saved before instead of a second copy.
   */
  fixedName(stemSource: string, tag: string, ext: string, at: Date): string {
    return `${timestamp(at)}-${slugify(stemSource)}-${tag}.${ext}`;
  }

  /** Where a bare name lives in the workspace (the root must be initialized). */
  pathOf(name: string): string {
    return join(this.rootReal ?? resolve(this.root), name);
  }

  /** Writes bytes under a new name atomically; never replaces an existing file and never leaves a temp file. */
  async save(name: string, bytes: Uint8Array): Promise<SavedFile> {
    const root = await this.init();
    if (basename(name) !== name || name.startsWith(".")) throw new InputError(`'${name}' is not a plain file name.`);
    const target = join(root, name);
    const temp = join(root, tempName(name));
    try {
      await writeFile(temp, bytes, { flag: "wx" });
      // link() fails if the target exists, so a name can never be overwritten, even by a concurrent writer.
      await link(temp, target);
    } finally {
      await unlink(temp).catch(() => {});
    }
    return { name, path: target };
  }

  /** Writes a small JSON file next to an image (temp + rename: readers never see half of it). */
  async writeSidecar(imageName: string, record: SidecarRecord): Promise<string> {
    const root = await this.init();
    const target = join(root, sidecarName(imageName));
    const temp = join(root, tempName("record.json"));
    try {
      await writeFile(temp, `${JSON.stringify(record, null, 2)}\n`, { flag: "wx" });
      await rename(temp, target);
    } finally {
      await unlink(temp).catch(() => {});
    }
    return target;
  }

  /**
   * Serializes manifest appends with other machines sharing this directory (replicas: a lock held in Redis), for
   * filesystems whose O_APPEND is not atomic across clients (NFS). Each append opens and closes the file under it.
   */
  setAppendLock(lock: (append: () => Promise<void>) => Promise<void>): void {
    this.appendLock = lock;
  }

  /** One line per image, one O_APPEND write; appends are serialized so lines never interleave. */
  appendManifest(record: unknown): Promise<void> {
    return this.appendLine(MANIFEST, record);
  }

  /** One line per finished job in jobs.jsonl. */
  appendJobRecord(record: JobRecord): Promise<void> {
    return this.appendLine(JOBS, record);
  }

  /**
   * Every readable job record, oldest first (lines that do not parse are skipped). No file is no records; a file
   * that cannot be read is an error that says so: paid jobs are never reported unknown, nor spend as zero.
   */
  async readJobRecords(): Promise<JobRecord[]> {
    const root = await this.init();
    let text: string;
    try {
      text = await readFile(join(root, JOBS), "utf8");
    } catch (err) {
      if (isMissing(err)) return [];
      throw unreadableRecord(join(root, JOBS), "the job records (every paid job and its spend)", err);
    }
    const records: JobRecord[] = [];
    for (const line of text.split("\n")) {
      if (!line.trim()) continue;
      try {
        const parsed = JobRecordSchema.safeParse(JSON.parse(line));
        if (parsed.success) records.push(parsed.data);
      } catch {
        // a torn line (a crash mid-append) is skipped
      }
    }
    return records;
  }

  private appendLine(file: string, record: unknown): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    const next = this.manifestQueue.then(async () => {
      const root = await this.init();
      const append = () => appendFile(join(root, file), line);
      await (this.appendLock ? this.appendLock(append) : append());
    });
    this.manifestQueue = next.catch(() => {});
    return next;
  }

  async removeSaved(path: string): Promise<void> {
    const root = await this.init();
    if (within(root, path)) await unlink(path).catch(() => {});
  }

  /**
   * Opens a file a request names (reference image, mask, verify_image path) once, by descriptor, inside the workspace
   * or an allowed read root (remote callers: the workspace only); see files.ts. The caller closes it.
   */
  async open(
    requested: string,
    what: string,
    options: { workspaceOnly?: ReadAccess | undefined; maxBytes: number },
  ): Promise<OpenedFile> {
    const roots = await rootsOf(this, options.workspaceOnly ?? false);
    return openInRoots(requested, roots, { what, maxBytes: options.maxBytes });
  }

  /** The path of a workspace image by bare name, or null when there is none (recovery looks up records by it). */
  async imagePath(name: string): Promise<string | null> {
    const root = await this.init();
    if (basename(name) !== name || name.startsWith(".") || name.includes("\0")) return null;
    const path = join(root, name);
    try {
      const real = await realpath(path);
      return within(root, real) && (await stat(real)).isFile() ? real : null;
    } catch {
      return null;
    }
  }

  /** Path and size of a workspace image by bare name, or null (nothing is read). */
  async imageSize(name: string): Promise<{ path: string; bytes: number } | null> {
    const path = await this.imagePath(name);
    return path ? { path, bytes: (await stat(path)).size } : null;
  }

  /**
   * Bytes and type of a workspace image by bare name (the resource template), or null. Images only: the name must
   * be an image name and the bytes an image (never the manifest, a sidecar or anything else), read by descriptor.
   */
  async readImage(name: string): Promise<{ bytes: Buffer; mimeType: string } | null> {
    const root = await this.init();
    if (basename(name) !== name || name.startsWith(".") || name.includes("\0") || !formatOfName(name)) return null;
    try {
      const roots = { real: [root], lexical: [root] };
      const file = await readInRoots(name, roots, { what: "image", maxBytes: MAX_RESOURCE_BYTES });
      const format = sniffImage(file.bytes);
      return format ? { bytes: file.bytes, mimeType: mimeType(format) } : null;
    } catch {
      return null;
    }
  }

  /**
   * The production record beside an image, or null when there is none (or it is not a record of this version). A
   * record that exists but cannot be read (a link, a folder, no permission, over 1 MB) is an error that says so.
   */
  async readSidecar(imagePath: string): Promise<SidecarRecord | null> {
    const folder = dirname(imagePath);
    const name = sidecarName(basename(imagePath));
    let text: string;
    try {
      const roots = { real: [folder], lexical: [folder] };
      const file = await readInRoots(name, roots, { what: "record", maxBytes: 1 << 20 });
      text = file.bytes.toString("utf8");
    } catch (err) {
      if (isMissing(err)) return null;
      throw unreadableRecord(join(folder, name), `the production record of ${basename(imagePath)}`, err);
    }
    try {
      const parsed = SidecarRecordSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  /** Image files in the workspace, newest name first. */
  async listImages(limit = 200): Promise<string[]> {
    const root = await this.init();
    const names = await readdir(root);
    return names
      .filter((n) => !n.startsWith(".") && /\.(png|jpe?g|webp|gif)$/i.test(n) && !/\.partial-\d+\./.test(n))
      .sort()
      .reverse()
      .slice(0, limit);
  }

  /**
   * Leftover temp files of a crashed process: those of a process of this host that is gone (a runner killed while
   * writing), and any older than a minute (another host's, on a shared folder). Never a live writer's.
   */
  async sweepTemps(): Promise<number> {
    const root = await this.init();
    let removed = 0;
    for (const name of await readdir(root)) {
      if (!name.startsWith(TEMP_PREFIX)) continue;
      const path = join(root, name);
      const info = await stat(path).catch(() => null);
      if (info && (writerGone(name) || Date.now() - info.mtimeMs > 60_000)) {
        await unlink(path).catch(() => {});
        removed++;
      }
    }
    return removed;
  }
}

/** A record file that exists but cannot be read: what it holds, where it is, why, and what to do. */
function unreadableRecord(path: string, holds: string, err: unknown): ConfigError {
  // The system error's own message when there is one ("EISDIR: illegal operation on a directory, read").
  const cause = (err as { cause?: unknown }).cause;
  const why = errorMessage(cause instanceof Error ? cause : err);
  return new ConfigError(
    `${path} holds ${holds} but cannot be read (${why}); until it can, what it records is unknown. Make it a readable regular file again (or move it away if it is not a record).`,
    { cause: err },
  );
}

/** A temp file's name carries its writer's pid, so a sweep can tell a dead writer's leftovers from a live one's. */
function tempName(name: string): string {
  return `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString("hex")}-${name}`;
}

function writerGone(tempFile: string): boolean {
  const pid = Number(/^\.tmp-(\d+)-[0-9a-f]{12}-/.exec(tempFile)?.[1]);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

export function sidecarName(imageName: string): string {
  return `${imageName.slice(0, imageName.length - extname(imageName).length)}.json`;
}
