// The workspace gallery: the manifest's images, newest first, with thumbnails made once and cached, and the full
// files. Only images the manifest names are ever served; records leave out absolute paths of the server.

import { makeThumbnail } from "../imaging/thumbnails.js";
import type { Logger } from "../log.js";
import { readManifest, ThumbnailCache } from "../workspace/gallery-files.js";
import type { Workspace } from "../workspace/workspace.js";

/** A manifest line as the gallery shows it: the production record without the server's paths. */
export interface GalleryEntry {
  file: string;
  created_at: string;
  [field: string]: unknown;
}

/** Thumbnails made at once; a first visit to a large workspace must not start hundreds of decodes together. */
const THUMB_SLOTS = 2;

/** Drops `path` fields and replaces the workspace root in every string, recursively. */
function withoutPaths(value: unknown, root: string): unknown {
  if (typeof value === "string") return root ? value.split(root).join("<workspace>") : value;
  if (Array.isArray(value)) return value.map((v) => withoutPaths(v, root));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (k !== "path") out[k] = withoutPaths(v, root);
    return out;
  }
  return value;
}

export function parseManifest(text: string, root: string): GalleryEntry[] {
  const byFile = new Map<string, GalleryEntry>();
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    const entry = withoutPaths(parsed, root) as Partial<GalleryEntry> | null;
    if (!entry || typeof entry.file !== "string") continue;
    byFile.set(entry.file, { ...entry, file: entry.file, created_at: String(entry.created_at ?? "") });
  }
  return [...byFile.values()].sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));
}

export class Gallery {
  private readonly thumbs: ThumbnailCache;
  private cached: { version: string; entries: GalleryEntry[]; names: Set<string> } | null = null;
  private readonly making = new Map<string, Promise<Buffer | null>>();
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly workspace: Workspace,
    private readonly logger: Logger,
  ) {
    this.thumbs = new ThumbnailCache(workspace);
  }

  /** The manifest's images that still exist, newest first. */
  async entries(): Promise<GalleryEntry[]> {
    const manifest = await readManifest(this.workspace);
    if (!manifest) return [];
    if (this.cached?.version === manifest.version) return this.cached.entries;
    const root = await this.workspace.init();
    const parsed = parseManifest(manifest.text, root);
    const present = await Promise.all(parsed.map(async (e) => ((await this.workspace.imagePath(e.file)) ? e : null)));
    const entries = present.filter((e): e is GalleryEntry => e !== null);
    this.cached = { version: manifest.version, entries, names: new Set(entries.map((e) => e.file)) };
    return entries;
  }

  /** True only for an image the manifest names. */
  async has(name: string): Promise<boolean> {
    await this.entries();
    return this.cached?.names.has(name) ?? false;
  }

  async image(name: string): Promise<{ bytes: Buffer; mimeType: string } | null> {
    return (await this.has(name)) ? this.workspace.readImage(name) : null;
  }

  /** The cached thumbnail, made (once, even when asked for concurrently) the first time. */
  async thumbnail(name: string): Promise<Buffer | null> {
    if (!(await this.has(name))) return null;
    const cached = await this.thumbs.read(name);
    if (cached) return cached;
    let pending = this.making.get(name);
    if (!pending) {
      pending = this.make(name).finally(() => this.making.delete(name));
      this.making.set(name, pending);
    }
    return pending;
  }

  private async make(name: string): Promise<Buffer | null> {
    if (this.active >= THUMB_SLOTS) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      // Read once, by descriptor, through the workspace's opener: a name swapped for a link is never followed.
      const file = await this.workspace.readImage(name);
      if (!file) return null;
      const bytes = await makeThumbnail(file.bytes);
      await this.thumbs.write(name, bytes).catch((err) => this.logger.warn({ err }, "could not cache a thumbnail"));
      return bytes;
    } catch (err) {
      this.logger.warn({ err, name }, "could not make a thumbnail");
      return null;
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
