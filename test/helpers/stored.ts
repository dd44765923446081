// Everything a workspace keeps on disk but its images — records, the manifest, jobs.jsonl and the job book's
// database — as one text, for tests that check a secret is kept nowhere.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export function storedText(workspace: string): string {
  return readdirSync(workspace, { recursive: true, withFileTypes: true })
    .filter((f) => f.isFile() && !/\.(png|jpe?g|webp|gif)$/.test(f.name))
    .map((f) => readFileSync(join(f.parentPath, f.name), "latin1"))
    .join("\n");
}
