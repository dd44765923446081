// The MCP Apps surface as a client sees it: which tools name the viewer, what the ui:// resource holds, and the
// production record resource the viewer reads. A host without MCP Apps sees the same results as before.

import type { CallToolResult } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectWithSimulator, type SimHarness } from "../helpers/simulated.js";

let h: SimHarness;

beforeAll(async () => {
  h = await connectWithSimulator();
});

afterAll(async () => {
  await h?.close();
});

describe("the MCP App viewer resource", () => {
  it("is named by generate_image and verify_image (both meta forms), not by validate_size", async () => {
    const { tools } = await h.client.listTools();
    const meta = (name: string) => tools.find((t) => t.name === name)?._meta as Record<string, unknown> | undefined;
    for (const name of ["generate_image", "verify_image"]) {
      expect(meta(name)?.ui).toEqual({ resourceUri: "ui://pixelwright/viewer.html" });
      expect(meta(name)?.["ui/resourceUri"]).toBe("ui://pixelwright/viewer.html");
    }
    expect(meta("validate_size")?.ui).toBeUndefined();
  });

  it("is one self-contained HTML document of the MCP App type, with the server's tools and no server path", async () => {
    const read = await h.client.readResource({ uri: "ui://pixelwright/viewer.html" });
    const item = read.contents[0] as { mimeType: string; text: string; _meta?: { ui?: { csp?: object } } };
    expect(item.mimeType).toBe("text/html;profile=mcp-app");
    expect(item._meta?.ui?.csp).toEqual({});
    expect(item.text).toMatch(/^<!doctype html>/i);
    expect(item.text).toContain(`"tools":["validate_size","generate_image","generate_batch","verify_image"`);
    expect(item.text).not.toContain(h.workspace);
    expect(item.text).not.toMatch(/<script[^>]*\bsrc=/);
  });

  it("leaves results unchanged for hosts without MCP Apps: same text, structuredContent, preview and link", async () => {
    const result = (await h.call("generate_image", { prompt: "plain host", size: "1024x1024" })) as CallToolResult;
    expect(result.content.map((c) => c.type)).toEqual(["text", "image", "resource_link"]);
    expect(result.structuredContent).toMatchObject({ status: "completed" });
    expect(result._meta).toBeUndefined();
  });

  it("serves the production record of a workspace image, and refuses a name that is not one", async () => {
    const made = await h.call("generate_image", { prompt: "a record", size: "1024x1024" });
    const path = (made.structuredContent as { images: Array<{ path: string }> }).images[0]?.path as string;
    const name = path.slice(path.lastIndexOf("/") + 1);
    const read = await h.client.readResource({ uri: `pixelwright://records/${encodeURIComponent(name)}` });
    const record = JSON.parse((read.contents[0] as { text: string }).text);
    expect(record).toMatchObject({ file: name, expected_size: "1024x1024", verified: true });
    await expect(h.client.readResource({ uri: "pixelwright://records/..%2Fetc%2Fpasswd" })).rejects.toThrow(
      /No production record/,
    );
  });
});
