// What the gallery reads and keeps in the workspace: the manifest (one JSON line per image) and a thumbnail cache
// in a hidden folder beside the images (`.thumbs/`, never listed as images; names starting with "." are not
// images to the resource template or the listing).

import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
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

/** Thumbnails by image name, made once and kept in `<workspace>/.thumbs/<name>.webp`. */
export class ThumbnailCache {
  constructor(private readonly workspace: Workspace) {}

  private async pathFor(name: string): Promise<string | null> {
    // Only names of real workspace images (plain names, inside the root) get a thumbnail path.
    if (!(await this.workspace.imagePath(name))) return null;
    return join(await this.workspace.init(), THUMBS_DIR, `${name}.webp`);
  }

  async read(name: string): Promise<Buffer | null> {
    const path = await this.pathFor(name);
    if (!path) return null;
    return readFile(path).catch(() => null);
  }

  /** Writes atomically (temp file, then rename): a reader never sees half a thumbnail. */
  async write(name: string, bytes: Buffer): Promise<void> {
    const path = await this.pathFor(name);
    if (!path) return;
    const dir = join(await this.workspace.init(), THUMBS_DIR);
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `.tmp-${randomBytes(6).toString("hex")}.webp`);
    try {
      await writeFile(temp, bytes, { flag: "wx" });
      await rename(temp, path);
    } finally {
      await unlink(temp).catch(() => {});
    }
  }
}
