// Peak memory of the real server process (VmHWM from /proc) when callers name huge input files: sizes come from
// fstat and headers, never from reading whole files first. Figures before the fix: 1.6 GB and 2.2 GB.
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { type SpawnedClient, spawnClient, tempWorkspace } from "../helpers/spawn.js";

const MB = 1024 * 1024;
let spawned: SpawnedClient | undefined;
afterEach(async () => {
  await spawned?.close();
  spawned = undefined;
});

/** Peak resident set size of a process, in MB. */
function peakRssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmHWM:"));
  return Number(/(\d+)/.exec(line ?? "")?.[1] ?? Number.NaN) / 1024;
}

/** A sparse file of `bytes` whose first bytes are a PNG header declaring 1024x1024 (the rest reads as zeros). */
function sparsePng(path: string, bytes: number): void {
  const header = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(header, 0);
  header.writeUInt32BE(13, 8);
  header.write("IHDR", 12, "latin1");
  header.writeUInt32BE(1024, 16);
  header.writeUInt32BE(1024, 20);
  header[24] = 8;
  header[25] = 6;
  const fd = openSync(path, "w");
  writeSync(fd, header);
  ftruncateSync(fd, bytes);
  closeSync(fd);
}

async function serve(workspace: string): Promise<{ client: SpawnedClient; pid: number }> {
  spawned = await spawnClient({ PIXELWRIGHT_WORKSPACE: workspace });
  const pid = spawned.transport.pid;
  if (!pid) throw new Error("no server pid");
  return { client: spawned, pid };
}

const call = (s: SpawnedClient, args: Record<string, unknown>) =>
  s.client.callTool({ name: "generate_image", arguments: args }, undefined, {
    timeout: 60_000,
  }) as Promise<CallToolResult>;

describe("peak memory with huge inputs", () => {
  it("stays far under 1.6 GB when a reference is a 1.5 GB sparse file (refused from its size)", async () => {
    const workspace = tempWorkspace();
    sparsePng(join(workspace, "huge.png"), 1536 * MB);
    const { client, pid } = await serve(workspace);
    const result = await call(client, { prompt: "x", size: "1024x1024", reference_images: ["huge.png"] });
    expect(result.isError).toBe(true);
    const peak = peakRssMb(pid);
    expect(peak).toBeLessThan(400);
  });

  it("stays far under 2.2 GB with 10 concurrent dry runs of 16 x 13 MB references (headers only)", async () => {
    const workspace = tempWorkspace();
    const names = Array.from({ length: 16 }, (_, i) => `ref-${i}.png`);
    for (const name of names) sparsePng(join(workspace, name), 13 * MB);
    const { client, pid } = await serve(workspace);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call(client, { prompt: `dry ${i}`, size: "1024x1024", reference_images: names, dry_run: true }),
      ),
    );
    for (const r of results) expect((r.structuredContent as { dry_run?: boolean }).dry_run).toBe(true);
    const peak = peakRssMb(pid);
    expect(peak).toBeLessThan(400);
  });
});
