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
import { basename, extname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { mimeType } from "../contract/formats.js";
import { type SidecarRecord, SidecarRecordSchema } from "../contract/schemas.js";
import { InputError } from "../errors.js";

export const MANIFEST = "manifest.jsonl";
const TEMP_PREFIX = ".tmp-";

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

function within(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

export interface SavedFile {
  name: string;
  path: string;
}

export class Workspace {
  private rootReal: string | undefined;
  private manifestQueue: Promise<void> = Promise.resolve();

  constructor(
    readonly root: string,
    readonly readRoots: readonly string[] = [],
  ) {}

  /** Creates the root if needed and returns its real path (symlinks resolved). */
  async init(): Promise<string> {
    if (!this.rootReal) {
      await mkdir(this.root, { recursive: true });
      this.rootReal = await realpath(this.root);
    }
    return this.rootReal;
  }

  /** `YYYYMMDD-HHMMSS-<slug>-<id>.<ext>`: sortable, readable, and unique without looking at the disk. */
  newName(stemSource: string, ext: string, now = new Date()): string {
    return `${timestamp(now)}-${slugify(stemSource)}-${randomBytes(3).toString("hex")}.${ext}`;
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
    const temp = join(root, `${TEMP_PREFIX}${randomBytes(6).toString("hex")}-${name}`);
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
    const temp = join(root, `${TEMP_PREFIX}${randomBytes(6).toString("hex")}.json`);
    try {
      await writeFile(temp, `${JSON.stringify(record, null, 2)}\n`, { flag: "wx" });
      await rename(temp, target);
    } finally {
      await unlink(temp).catch(() => {});
    }
    return target;
  }

  /** One line per image; appends are serialized so lines never interleave. */
  appendManifest(record: unknown): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    const next = this.manifestQueue.then(async () => {
      const root = await this.init();
      await appendFile(join(root, MANIFEST), line);
    });
    this.manifestQueue = next.catch(() => {});
    return next;
  }

  async removeSaved(path: string): Promise<void> {
    const root = await this.init();
    if (within(root, path)) await unlink(path).catch(() => {});
  }

  /**
   * Resolves a path a request names (reference image, mask, verify_image path) to a real file inside the workspace
   * or an allowed read root. Relative paths are taken relative to the workspace. Symlinks are followed first, so a
   * link pointing out of the jail is refused.
   */
  async resolveReadable(requested: string, what: string, workspaceOnly = false): Promise<string> {
    if (requested.includes("\0")) throw new InputError(`${what} path contains a NUL byte.`);
    const root = await this.init();
    const candidate = isAbsolute(requested) ? requested : resolve(root, requested);
    // Remote (HTTP) callers may name files in the workspace only, never the extra read roots of the host.
    const extra = workspaceOnly ? [] : this.readRoots;
    const roots = [root, ...(await Promise.all(extra.map((r) => realpath(r).catch(() => null))))].filter(
      (r): r is string => r !== null,
    );
    const outside = () =>
      new InputError(
        `${what} '${requested}' is outside the folders this server may read (${roots.join(", ")}); copy it into the workspace or add its folder to PIXELWRIGHT_READ_ROOTS.`,
      );
    // Refuse a path that leaves the jail before touching the disk, so nobody can probe what exists outside it.
    const lexicalRoots = [resolve(this.root), root, ...extra.map((r) => resolve(r)), ...roots];
    if (!lexicalRoots.some((r) => within(r, candidate))) throw outside();
    let real: string;
    try {
      real = await realpath(candidate);
    } catch {
      throw new InputError(`${what} '${requested}' does not exist (relative paths are read from ${root}).`);
    }
    // Then again after symlinks: a link inside the jail may point out of it.
    if (!roots.some((r) => within(r, real))) throw outside();
    const info = await stat(real);
    if (!info.isFile()) throw new InputError(`${what} '${requested}' is not a file.`);
    return real;
  }

  /** The path of a workspace image by bare name (the resource template), or null when there is none. */
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

  /** Bytes and type of a workspace image by bare name, or null. */
  async readImage(name: string): Promise<{ bytes: Buffer; mimeType: string } | null> {
    const path = await this.imagePath(name);
    if (!path) return null;
    return { bytes: await readFile(path), mimeType: mimeType(extname(path).slice(1)) };
  }

  /** The production record beside an image, or null when there is none (or it is not a record of this version). */
  async readSidecar(imagePath: string): Promise<SidecarRecord | null> {
    let text: string;
    try {
      text = await readFile(join(resolve(imagePath, ".."), sidecarName(basename(imagePath))), "utf8");
    } catch {
      return null;
    }
    try {
      const parsed = SidecarRecordSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  /** The bytes of a file that resolveReadable admitted. */
  readFile(path: string): Promise<Buffer> {
    return readFile(path);
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

  /** Leftover temp files of a crashed process (never of a running one: only older than a minute). */
  async sweepTemps(): Promise<number> {
    const root = await this.init();
    let removed = 0;
    for (const name of await readdir(root)) {
      if (!name.startsWith(TEMP_PREFIX)) continue;
      const path = join(root, name);
      const info = await stat(path).catch(() => null);
      if (info && Date.now() - info.mtimeMs > 60_000) {
        await unlink(path).catch(() => {});
        removed++;
      }
    }
    return removed;
  }
}

export function sidecarName(imageName: string): string {
  return `${imageName.slice(0, imageName.length - extname(imageName).length)}.json`;
}
