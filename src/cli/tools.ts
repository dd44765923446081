// `pixelwright tools [name]`: the tools this server offers, or one tool's arguments, read from the same tools/list
// an agent receives (the portable JSON Schemas), so what it prints cannot drift from what the server takes.

import type { Tool } from "@modelcontextprotocol/client";
import { writeStdout } from "../output.js";
import type { Runtime } from "../runtime.js";
import { connectInProcess, findTool } from "./call.js";
import { selfCommand } from "./self.js";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

export interface ArgumentRow {
  name: string;
  required: boolean;
  /** "integer 0-100", "low | medium | high", "list of string (at most 16)". */
  type: string;
  description: string;
}

/** A JSON Schema node's type in a few words. */
export function typeOf(schema: unknown): string {
  if (!isObject(schema)) return "any";
  if (Array.isArray(schema.enum)) return schema.enum.map(String).join(" | ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const union = (schema.anyOf ?? schema.oneOf) as unknown;
  if (Array.isArray(union)) return union.map(typeOf).join(" or ");
  const type = Array.isArray(schema.type) ? schema.type.join(" or ") : String(schema.type ?? "any");
  if (type === "array") {
    const most = typeof schema.maxItems === "number" ? ` (at most ${schema.maxItems})` : "";
    return `list of ${typeOf(schema.items)}${most}`;
  }
  if (type === "integer" || type === "number") {
    // zod writes a plain integer's bounds as ±(2^53 - 1): no bound a person needs to read.
    const bound = (v: unknown) => (typeof v === "number" && Math.abs(v) < Number.MAX_SAFE_INTEGER ? v : undefined);
    const min = bound(schema.minimum);
    const max = bound(schema.maximum);
    if (min !== undefined && max !== undefined) return `${type} ${min}-${max}`;
    if (min !== undefined) return `${type} ≥ ${min}`;
    if (max !== undefined) return `${type} ≤ ${max}`;
  }
  return type;
}

/** One row per argument, in the schema's order. */
export function argumentRows(tool: Pick<Tool, "inputSchema">): ArgumentRow[] {
  const properties = isObject(tool.inputSchema.properties) ? tool.inputSchema.properties : {};
  const required = new Set(tool.inputSchema.required ?? []);
  return Object.entries(properties).map(([name, schema]) => ({
    name,
    required: required.has(name),
    type: typeOf(schema),
    description: isObject(schema) && typeof schema.description === "string" ? schema.description : "",
  }));
}

/** The tools/list an agent gets from this server. */
export async function listTools(runtime: Runtime): Promise<Tool[]> {
  const session = await connectInProcess(runtime);
  try {
    return (await session.client.listTools()).tools;
  } finally {
    await session.close();
  }
}

function firstSentence(text: string): string {
  const end = text.search(/\.(\s+[A-Z]|$)/);
  return end === -1 ? text : text.slice(0, end + 1);
}

export function renderToolList(tools: Tool[]): string {
  const width = Math.max(...tools.map((t) => t.name.length));
  const lines = tools.map((t) => `  ${t.name.padEnd(width)}  ${firstSentence(t.description ?? t.title ?? "")}`);
  return [
    `Tools (${selfCommand()} tools <name> shows one tool's arguments):`,
    ...lines,
    "",
    `Run one: ${selfCommand()} call <name> '<json arguments>'`,
  ].join("\n");
}

export function renderTool(tool: Tool): string {
  const rows = argumentRows(tool);
  const width = Math.max(...rows.map((r) => r.name.length + (r.required ? 11 : 0)));
  const lines = [`${tool.name}${tool.title ? ` — ${tool.title}` : ""}`, "", tool.description ?? "", "", "Arguments:"];
  for (const row of rows) {
    const name = `${row.name}${row.required ? " (required)" : ""}`.padEnd(width);
    lines.push(`  ${name}  ${row.type}${row.description ? ` — ${row.description}` : ""}`);
  }
  const example = rows.filter((r) => r.required).map((r) => `"${r.name}":…`);
  lines.push("", `Run it: pixelwright call ${tool.name} '{${example.join(",")}}'`);
  return lines.join("\n");
}

/** The command: the list, or one tool (JSON with --json: the tool entries exactly as tools/list sends them). */
export async function runToolsCommand(runtime: Runtime, name: string | undefined, json: boolean): Promise<number> {
  const tools = await listTools(runtime);
  if (name === undefined) {
    await writeStdout(json ? JSON.stringify(tools, null, 2) : renderToolList(tools));
    return 0;
  }
  const tool = findTool(tools, name);
  await writeStdout(json ? JSON.stringify(tool, null, 2) : renderTool(tool));
  return 0;
}
