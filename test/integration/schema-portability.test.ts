// The tool schemas as tools/list sends them, checked against what strict clients accept. The rules are data,
// written down from the providers' documentation:
// - OpenAI function calling with strict: true (Structured Outputs, "Supported schemas"): the root is an object;
//   every object has additionalProperties: false; supported keywords are type, properties, required,
//   additionalProperties, items, enum, const, anyOf, description, title, $ref/$defs, and per type: strings pattern,
//   format; numbers multipleOf, maximum, exclusiveMaximum, minimum, exclusiveMinimum; arrays minItems, maxItems.
//   Not permitted: minLength, maxLength, patternProperties, unevaluatedProperties, propertyNames, minProperties,
//   maxProperties, unevaluatedItems, contains, minContains, maxContains, uniqueItems, allOf, not, if/then/else,
//   dependentRequired, dependentSchemas, $schema.
// - Gemini function declarations (`parameters`, the OpenAPI 3.0 Schema subset): type (one name, never an array),
//   format, title, description, nullable, enum, maxItems, minItems, properties, required, minProperties,
//   maxProperties, minLength, maxLength, pattern, example, anyOf, propertyOrdering, default, items, minimum, maximum.
//   `additionalProperties` is outside that subset; the conversions clients apply for `parameters` drop it (and
//   `parametersJsonSchema` accepts it), so it is the one keyword listed as dropped rather than rejected — pixelwright
//   sends it because OpenAI strict mode requires it.
// - The MCP Inspector's schema lint: no type arrays containing "null", no empty additionalProperties.
import type { Tool } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectWithSimulator, type SimHarness } from "../helpers/simulated.js";

interface Rules {
  name: string;
  allowed: Set<string>;
  /** Keywords the client's conversion removes before sending. */
  dropped: Set<string>;
  singleType: boolean;
  closedObjects: boolean;
}

const OPENAI_STRICT: Rules = {
  name: "OpenAI strict mode",
  allowed: new Set([
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "const",
    "anyOf",
    "description",
    "title",
    "$ref",
    "$defs",
    "pattern",
    "format",
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "minItems",
    "maxItems",
  ]),
  dropped: new Set(),
  singleType: false,
  closedObjects: true,
};

const GEMINI: Rules = {
  name: "Gemini function declarations",
  allowed: new Set([
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "enum",
    "maxItems",
    "minItems",
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "minLength",
    "maxLength",
    "pattern",
    "example",
    "anyOf",
    "propertyOrdering",
    "default",
    "items",
    "minimum",
    "maximum",
  ]),
  dropped: new Set(["additionalProperties"]),
  singleType: true,
  closedObjects: false,
};

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every schema node with its path: the root, properties' values, items, anyOf members. */
function* nodes(schema: Node, path = "#"): Generator<[string, Node]> {
  yield [path, schema];
  if (isNode(schema.properties))
    for (const [k, v] of Object.entries(schema.properties)) if (isNode(v)) yield* nodes(v, `${path}/properties/${k}`);
  if (isNode(schema.items)) yield* nodes(schema.items, `${path}/items`);
  if (Array.isArray(schema.anyOf))
    for (const [i, v] of schema.anyOf.entries()) if (isNode(v)) yield* nodes(v, `${path}/anyOf/${i}`);
  if (isNode(schema.additionalProperties)) yield* nodes(schema.additionalProperties, `${path}/additionalProperties`);
}

function violations(schema: Node, rules: Rules): string[] {
  const found: string[] = [];
  for (const [path, node] of nodes(schema)) {
    for (const key of Object.keys(node)) {
      if (!rules.allowed.has(key) && !rules.dropped.has(key)) found.push(`${path}: ${key}`);
    }
    if (rules.singleType && Array.isArray(node.type)) found.push(`${path}: type array`);
    if (rules.closedObjects && node.type === "object" && node.additionalProperties !== false)
      found.push(`${path}: object without additionalProperties: false`);
  }
  return found;
}

function inspectorWarnings(schema: Node): string[] {
  const found: string[] = [];
  for (const [path, node] of nodes(schema)) {
    if (Array.isArray(node.type) && node.type.includes("null")) found.push(`${path}: type array with null`);
    if (isNode(node.additionalProperties) && Object.keys(node.additionalProperties).length === 0)
      found.push(`${path}: empty additionalProperties`);
  }
  return found;
}

let h: SimHarness;
let tools: Tool[];
beforeAll(async () => {
  h = await connectWithSimulator();
  tools = (await h.client.listTools()).tools;
});
afterAll(async () => h.close());

describe("input schemas", () => {
  for (const rules of [OPENAI_STRICT, GEMINI]) {
    it(`use no keyword ${rules.name} rejects`, () => {
      for (const tool of tools) expect(violations(tool.inputSchema as Node, rules), tool.name).toEqual([]);
    });
  }

  it("carry no $schema and close every object (additionalProperties: false)", () => {
    for (const tool of tools) {
      expect(tool.inputSchema).not.toHaveProperty("$schema");
      expect(tool.inputSchema.additionalProperties, tool.name).toBe(false);
    }
  });

  it("still enforce the limits they no longer publish (a 32,001-character prompt is refused)", async () => {
    const result = await h.call("generate_image", { prompt: "x".repeat(32_001), dry_run: true });
    expect(result.isError).toBe(true);
  });
});

describe("output schemas", () => {
  for (const rules of [OPENAI_STRICT, GEMINI]) {
    it(`use no keyword ${rules.name} rejects`, () => {
      const open = { ...rules, closedObjects: false };
      for (const tool of tools) expect(violations(tool.outputSchema as Node, open), tool.name).toEqual([]);
    });
  }

  it("give the Inspector's lint 0 warnings (no type arrays with null, no empty additionalProperties)", () => {
    const warnings = tools.flatMap((t) => [
      ...inspectorWarnings(t.inputSchema as Node),
      ...inspectorWarnings(t.outputSchema as Node),
    ]);
    expect(warnings).toEqual([]);
  });

  it("describe the results as sent: a completed generation validates with null fields left out", async () => {
    const result = await h.call("generate_image", { prompt: "portable", return_image: "none" });
    const structured = result.structuredContent as Record<string, unknown>;
    expect(JSON.stringify(structured)).not.toContain(":null");
    const schema = tools.find((t) => t.name === "generate_image")?.outputSchema as Node;
    for (const name of schema.required as string[]) expect(structured, name).toHaveProperty(name);
  });
});

describe("descriptions", () => {
  it("name no server path (the workspace stays private to the server)", async () => {
    const { resourceTemplates } = await h.client.listResourceTemplates();
    const texts = [...tools.map((t) => JSON.stringify(t)), ...resourceTemplates.map((r) => JSON.stringify(r))].join(
      "\n",
    );
    expect(texts).not.toContain(h.workspace);
    expect(texts).not.toMatch(/\/tmp\/|\/home\/|\/Users\//);
  });
});
