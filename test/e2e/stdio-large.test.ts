// Over stdio no message exceeds 8 MiB: the SDK client's reader (default buffer) drops a connection on a larger one.
// A 24 MiB image in the workspace is refused by resources/read with a sentence naming its path and size, and the
// connection stays up.
import { randomBytes } from "node:crypto";
import { rmSync, statSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SpawnedClient, spawnClient, tempWorkspace } from "../helpers/spawn.js";

const workspace = tempWorkspace();
const name = "noise-24mib.png";
let bytes = 0;
let c: SpawnedClient;

beforeAll(async () => {
  // Noise does not compress: 2900x2900 RGB as PNG is about 24 MiB.
  const side = 2900;
  await sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } })
    .png({ compressionLevel: 0 })
    .toFile(join(workspace, name));
  bytes = statSync(join(workspace, name)).size;
  c = await spawnClient({ PIXELWRIGHT_WORKSPACE: workspace });
}, 60_000);
afterAll(async () => {
  await c?.close();
  rmSync(workspace, { recursive: true, force: true });
});

describe("a 24 MiB image over stdio", () => {
  it("is refused by resources/read with its path and size, and the connection survives", async () => {
    expect(bytes).toBeGreaterThan(23 * 1_048_576);
    const read = c.client.readResource({ uri: `pixelwright://images/${name}` });
    await expect(read).rejects.toThrow(new RegExp(`${name} is 2[0-9]\\.\\d MiB: .*exceed the 8\\.0 MiB .* stdio`));
    await expect(read).rejects.toThrow(
      join(workspace, name)
        .replace(/^\/private/, "")
        .slice(-40),
    );
    const { tools } = await c.client.listTools();
    expect(tools.length).toBeGreaterThan(0);
  });

  it("is described as too large for stdio, up front, in verify_image's resource link", async () => {
    const result = await c.client.callTool({ name: "verify_image", arguments: { path: join(workspace, name) } });
    const link = (result.content as { type: string; description?: string }[]).find((b) => b.type === "resource_link");
    expect(link?.description).toMatch(/^Too large to read over stdio \(2\d\.\d MiB, over 8\.0 MiB\): open \//);
  });
});
