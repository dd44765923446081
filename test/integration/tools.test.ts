import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type Harness } from "../helpers/inmemory.js";

let h: Harness;
beforeAll(async () => {
  h = await connect();
});
afterAll(async () => h.close());

describe("the tool list", () => {
  it("offers exactly the five tools of the contract", async () => {
    const { tools } = await h.client.listTools();
    expect(tools.map((t) => t.name)).toEqual([
      "validate_size",
      "generate_image",
      "generate_batch",
      "verify_image",
      "upscale_image",
    ]);
  });

  it.each([
    ["validate_size", { readOnlyHint: true, idempotentHint: true, openWorldHint: false, destructiveHint: false }],
    ["generate_image", { readOnlyHint: false, idempotentHint: false, openWorldHint: true, destructiveHint: false }],
    ["generate_batch", { readOnlyHint: false, idempotentHint: false, openWorldHint: true, destructiveHint: false }],
    ["verify_image", { readOnlyHint: true, idempotentHint: true, destructiveHint: false }],
    ["upscale_image", { readOnlyHint: false, idempotentHint: true, openWorldHint: false, destructiveHint: false }],
  ])("%s carries annotations that match what it does", async (name, annotations) => {
    const { tools } = await h.client.listTools();
    const tool = tools.find((t) => t.name === name);
    expect(tool?.annotations).toMatchObject(annotations);
    expect(tool?.title).toBeTruthy();
    expect(tool?.outputSchema?.type).toBe("object");
  });

  it("gives every tool complete annotations, a title, and a description under 2,048 characters", async () => {
    const { tools } = await h.client.listTools();
    for (const tool of tools) {
      const annotations = tool.annotations ?? {};
      for (const hint of ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const) {
        expect(typeof annotations[hint], `${tool.name}.${hint}`).toBe("boolean");
      }
      expect(annotations.title, `${tool.name} annotation title`).toBeTruthy();
      expect(tool.description?.length ?? 0, `${tool.name} description`).toBeGreaterThan(40);
      expect(tool.description?.length ?? 0, `${tool.name} description`).toBeLessThan(2048);
    }
  });

  it.each([
    ["generate_image", { prompt: "a cat", qualty: "high", dry_run: true }, /qualty/],
    ["validate_size", { size: "1024x1024", bogus: 1 }, /bogus/],
    ["verify_image", { path: "x.png", expected_sise: "1024x1024" }, /expected_sise/],
  ])("%s refuses an argument it does not take instead of ignoring it", async (name, args, key) => {
    const outcome = await h.client.callTool({ name, arguments: args }).then(
      (r) => ({ isError: r.isError === true, text: JSON.stringify(r.content) }),
      (err: Error) => ({ isError: true, text: err.message }),
    );
    expect(outcome.isError).toBe(true);
    expect(outcome.text).toMatch(key);
  });

  it("tells agents about the job flow in the generate_image description", async () => {
    const { tools } = await h.client.listTools();
    const description = tools.find((t) => t.name === "generate_image")?.description ?? "";
    expect(description).toMatch(/status "running"/);
    expect(description).toMatch(/verify_image with that job_id/);
    expect(description).toMatch(/paying twice/);
  });

  it("exposes the workspace as the pixelwright://images/{name} resource template", async () => {
    const { resourceTemplates } = await h.client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toContain("pixelwright://images/{name}");
    await expect(h.client.readResource({ uri: "pixelwright://images/nothing.png" })).rejects.toThrow(/No image named/);
  });
});
