// Roots from the SDK client: folders the client advertises become read roots for this connection's file
// arguments (same jail rules), refreshed on roots/list_changed; a client without roots gets the workspace only.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { type CallToolResult, ListRootsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectInProcess } from "../../src/cli/call.js";
import { createServer } from "../../src/server.js";
import { connectWithSimulator, type SimHarness, textOf } from "../helpers/simulated.js";

let h: SimHarness;
let dir: string;
let project: string;
let elsewhere: string;

async function png(path: string): Promise<string> {
  await sharp({ create: { width: 64, height: 64, channels: 3, background: "#3366aa" } })
    .png()
    .toFile(path);
  return path;
}

/** A second client on the same runtime that advertises `roots` (file URIs of folders). */
async function clientWithRoots(roots: string[]) {
  const client = new Client({ name: "roots-client", version: "0" }, { capabilities: { roots: { listChanged: true } } });
  let current = roots;
  let asked = 0;
  client.setRequestHandler(ListRootsRequestSchema, async () => {
    asked++;
    return { roots: current.map((folder) => ({ uri: pathToFileURL(folder).href, name: folder })) };
  });
  const server = createServer(h.runtime);
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(b);
  await client.connect(a);
  return {
    client,
    call: async (name: string, args: Record<string, unknown>) =>
      (await client.callTool({ name, arguments: args })) as CallToolResult,
    /** Changes the roots and returns once the server has asked for them again (its next call waits for the answer). */
    async setRoots(next: string[]) {
      current = next;
      const before = asked;
      await client.sendRootsListChanged();
      await expect.poll(() => asked, { timeout: 30_000 }).toBeGreaterThan(before);
    },
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

beforeAll(async () => {
  h = await connectWithSimulator();
  dir = mkdtempSync(join(tmpdir(), "pixelwright-roots-"));
  project = join(dir, "project");
  elsewhere = join(dir, "elsewhere");
  mkdirSync(project);
  mkdirSync(elsewhere);
});
afterAll(async () => {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("client roots", () => {
  it("a reference image inside a root the client advertises is accepted", async () => {
    const ref = await png(join(project, "ref.png"));
    const c = await clientWithRoots([project]);
    try {
      const r = await c.call("generate_image", { prompt: "edit it", reference_images: [ref], dry_run: true });
      expect(r.isError, textOf(r)).toBeFalsy();
      const verified = await c.call("verify_image", { path: ref });
      expect(verified.isError, textOf(verified)).toBeFalsy();
    } finally {
      await c.close();
    }
  });

  it("a reference image outside every root is refused, before anything is sent", async () => {
    const ref = await png(join(elsewhere, "outside.png"));
    const c = await clientWithRoots([project]);
    try {
      const r = await c.call("generate_image", { prompt: "edit it", reference_images: [ref] });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/outside the folders this server may read/);
      expect(h.sim.stats.imageRequests).toBe(0);
    } finally {
      await c.close();
    }
  });

  it("follows roots/list_changed", async () => {
    const ref = await png(join(elsewhere, "later.png"));
    const c = await clientWithRoots([project]);
    try {
      expect(textOf(await c.call("verify_image", { path: ref }))).toMatch(/outside the folders this server may read/);
      await c.setRoots([project, elsewhere]);
      const after = await c.call("verify_image", { path: ref });
      expect(after.isError, textOf(after)).toBeFalsy();
    } finally {
      await c.close();
    }
  });

  it("a link inside a root that points outside it is still refused (the same jail rules)", async () => {
    const target = await png(join(elsewhere, "target.png"));
    symlinkSync(target, join(project, "link.png"));
    const c = await clientWithRoots([project]);
    try {
      const r = await c.call("verify_image", { path: join(project, "link.png") });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/outside the folders this server may read/);
    } finally {
      await c.close();
    }
  });

  it("a client without roots reads the workspace only", async () => {
    const ref = await png(join(project, "no-roots.png"));
    const r = await h.call("verify_image", { path: ref });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/outside the folders this server may read/);
  });

  it("a remote (HTTP) connection ignores the client's roots", async () => {
    const ref = await png(join(project, "remote.png"));
    const client = new Client({ name: "remote", version: "0" }, { capabilities: { roots: {} } });
    client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: pathToFileURL(project).href }] }));
    const server = createServer(h.runtime, { remote: true });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(b);
    await client.connect(a);
    try {
      const r = (await client.callTool({ name: "verify_image", arguments: { path: ref } })) as CallToolResult;
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/outside the folders this server may read/);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("a 2026-07-28 request carries the roots itself: asked as an input-required question, answered by the SDK v2 client", async () => {
    const ref = await png(join(project, "modern.png"));
    const outside = await png(join(elsewhere, "modern-outside.png"));
    const session = await connectInProcess(h.runtime, { era: "modern", client: { capabilities: { roots: {} } } });
    let asked = 0;
    session.client.setRequestHandler("roots/list", async () => {
      asked++;
      return { roots: [{ uri: pathToFileURL(project).href, name: "project" }] };
    });
    try {
      expect(session.client.getProtocolEra()).toBe("modern");
      const inside = await session.client.callTool({ name: "verify_image", arguments: { path: ref } });
      expect(inside.isError, textOf(inside)).toBeFalsy();
      expect(asked).toBe(1);
      const refused = await session.client.callTool({ name: "verify_image", arguments: { path: outside } });
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toMatch(/outside the folders this server may read/);
    } finally {
      await session.close();
    }
  });

  it("a 2026-07-28 client without roots is never asked and reads the workspace only", async () => {
    const ref = await png(join(project, "modern-no-roots.png"));
    const session = await connectInProcess(h.runtime, { era: "modern" });
    try {
      const r = await session.client.callTool({ name: "verify_image", arguments: { path: ref } });
      expect(r.isError).toBe(true);
    } finally {
      await session.close();
    }
  });
});
