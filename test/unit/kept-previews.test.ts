// The kept previews in `.pixelwright/previews/` are read like every other file: a link planted at a preview's name is
// never followed, and what is read back is only what savePreview wrote.

import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readPreview, savePreview, stateFolder } from "../../src/workspace/state.js";
import { Workspace } from "../../src/workspace/workspace.js";

const SHA = "ab".repeat(32);

async function workspaceWithSecretBeside(): Promise<{ workspace: Workspace; previews: string; secret: string }> {
  const dir = mkdtempSync(join(tmpdir(), "pw-previews-"));
  const workspace = new Workspace(join(dir, "ws"), []);
  const { previews } = await stateFolder(workspace);
  const secret = join(dir, "secret.json");
  writeFileSync(secret, JSON.stringify({ secret: "TOPSECRET outside the workspace" }));
  return { workspace, previews, secret };
}

describe("the kept previews", () => {
  it("reads back what savePreview wrote, by the image's sha256", async () => {
    const { workspace } = await workspaceWithSecretBeside();
    await savePreview(workspace, SHA, { mimeType: "image/webp", data: "UklGRg==" });
    expect(await readPreview(workspace, SHA)).toEqual({ mimeType: "image/webp", data: "UklGRg==" });
  });

  it("never follows a link planted at a preview's name", async () => {
    const { workspace, previews, secret } = await workspaceWithSecretBeside();
    symlinkSync(secret, join(previews, `${SHA}.json`));
    expect(await readPreview(workspace, SHA)).toBeNull();
  });

  it("never follows a previews folder replaced by a link to a folder elsewhere", async () => {
    const { workspace, previews } = await workspaceWithSecretBeside();
    const elsewhere = mkdtempSync(join(tmpdir(), "pw-elsewhere-"));
    writeFileSync(join(elsewhere, `${SHA}.json`), JSON.stringify({ secret: "TOPSECRET" }));
    rmSync(previews, { recursive: true });
    symlinkSync(elsewhere, previews);
    expect(await readPreview(workspace, SHA)).toBeNull();
  });

  it("reads nothing for a name that is not a sha256 (no path from a caller reaches the folder)", async () => {
    const { workspace } = await workspaceWithSecretBeside();
    expect(await readPreview(workspace, "../../secret")).toBeNull();
  });
});
