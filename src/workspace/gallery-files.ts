// What the gallery reads and keeps in the workspace: the manifest (one JSON line per image) and a thumbnail cache
// in a hidden folder beside the images (`.thumbs/`, never listed as images; names starting with "." are not
// images to the resource template or the listing).

import { randomBytes } from "node:crypto";
import { lstat, mkdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { sniffImage } from "../contract/formats.js";
import { ConfigError } from "../errors.js";
import { readInRoots } from "./files.js";
import { MANIFEST, type Workspace } from "./workspace.js";

export const THUMBS_DIR = ".thumbs";

export interface ManifestText {
  text: string;
  /** Changes whenever the manifest does (size and mtime), to cache what is parsed from it. */
  version: string;
}

export async function readManifest(workspace: Workspace): Promise<ManifestText | null> {
  const path = join(await workspace.init(), MANIFEST);
  try {
    const info = await stat(path);
    return { text: await readFile(path, "utf8"), version: `${info.size}:${info.mtimeMs}` };
  } catch {
    return null;
  }
}

/** The largest cached thumbnail read back (they are made under 30 KB). */
const MAX_THUMB_BYTES = 1024 * 1024;

/**
 * Thumbnails by image name, made once and kept in `<workspace>/.thumbs/<name>.webp`. A cached file is opened like
 * every other file (by descriptor, never through a symbolic link, inside the real `.thumbs` folder) and served only
 * when it is a WebP; anything else is made again and replaced.
 */
export class ThumbnailCache {
  constructor(private readonly workspace: Workspace) {}

  private async folder(): Promise<string> {
    return join(await this.workspace.init(), THUMBS_DIR);
  }

  async read(name: string): Promise<Buffer | null> {
    // Only names of real workspace images (plain names, inside the root) get a thumbnail.
    if (!(await this.workspace.imagePath(name))) return null;
    const folder = await this.folder();
    try {
      const roots = { real: [folder], lexical: [folder] };
      const file = await readInRoots(`${name}.webp`, roots, { what: "thumbnail", maxBytes: MAX_THUMB_BYTES });
      return sniffImage(file.bytes) === "webp" ? file.bytes : null;
    } catch {
      return null;
    }
  }

  /** Writes atomically (temp file, then rename): a reader never sees half a thumbnail. */
  async write(name: string, bytes: Buffer): Promise<void> {
    if (!(await this.workspace.imagePath(name))) return;
    const dir = await this.folder();
    await mkdir(dir, { recursive: true });
    // A `.thumbs` that is a link (to a folder elsewhere) is never written through.
    const info = await lstat(dir);
    if (!info.isDirectory())
      throw new ConfigError(`${dir} is not a folder (a symbolic link?): thumbnails are not cached.`);
    const temp = join(dir, `.tmp-${randomBytes(6).toString("hex")}.webp`);
    try {
      await writeFile(temp, bytes, { flag: "wx" });
      // rename replaces a link planted at the name itself, never what it points to.
      await rename(temp, join(dir, `${name}.webp`));
    } finally {
      await unlink(temp).catch(() => {});
    }
  }
}
