import type { CallToolResult } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SizeReportSchema } from "../../src/contract/schemas.js";
import { fromWire } from "../../src/contract/wire.js";
import { connect, type Harness } from "../helpers/inmemory.js";

let h: Harness;
beforeAll(async () => {
  h = await connect();
});
afterAll(async () => h.close());

describe("validate_size through an MCP client", () => {
  it("is listed with input and output schemas and read-only, idempotent, closed-world annotations", async () => {
    const { tools } = await h.client.listTools();
    const tool = tools.find((t) => t.name === "validate_size");
    expect(tool?.inputSchema.properties).toHaveProperty("size");
    expect(tool?.inputSchema.required).toEqual(["size"]);
    expect(tool?.outputSchema?.properties).toHaveProperty("violations");
    expect(tool?.annotations).toMatchObject({
      readOnlyHint: true,
      idempotentHint: true,
      openWorldHint: false,
      destructiveHint: false,
    });
  });

  it("offers no placeholder tools", async () => {
    const { tools } = await h.client.listTools();
    for (const tool of tools) expect(tool.description?.length ?? 0).toBeGreaterThan(40);
  });

  it("returns structuredContent matching the output schema, and the same JSON after one sentence", async () => {
    const result = (await h.client.callTool({
      name: "validate_size",
      arguments: { size: "1920x1080" },
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    const structured = fromWire(SizeReportSchema, result.structuredContent);
    expect(structured.suggestions[0]?.size).toBe("1920x1088");
    const text = result.content[0]?.type === "text" ? result.content[0].text : "";
    const [sentence, json] = text.split("\n");
    expect(sentence).toMatch(/^1920x1080 is not valid for gpt-image-2 \(multiple_of_16\)\. Try 1920x1088/);
    expect(JSON.parse(json ?? "")).toEqual(result.structuredContent);
    expect(text).not.toMatch(/base64/);
  });

  it("answers an invalid size as a normal result, not a tool error", async () => {
    const result = (await h.client.callTool({
      name: "validate_size",
      arguments: { size: "banana" },
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ ok: false, violations: [{ rule: "format" }] });
  });

  it("uses the configured default model", async () => {
    const result = await h.client.callTool({ name: "validate_size", arguments: { size: "3840x2160" } });
    expect(result.structuredContent).toMatchObject({ model: "gpt-image-2", ok: true, experimental: true });
  });

  it("rejects a missing size with a tool error that names the field", async () => {
    const result = (await h.client.callTool({ name: "validate_size", arguments: {} })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toMatch(/size/);
  });

  it("tells agents how the tools fit together in the server instructions", () => {
    const instructions = h.client.getInstructions() ?? "";
    expect(instructions.split(/(?<=\.)\s/).length).toBeGreaterThanOrEqual(3);
    expect(instructions).toMatch(/validate_size/);
  });
});
