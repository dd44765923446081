// Tool schemas every client can take as they are. The zod schemas stay the one source; what goes out in tools/list
// is rewritten to the portable subset: inputs without `$schema`, closed objects (additionalProperties: false, which
// OpenAI strict mode needs) and without length keywords strict mode rejects (zod still enforces them); outputs
// without `null` in type arrays or anyOf (an absent field means null) and without empty additionalProperties.
// Results are sent the same way: structuredContent leaves out the fields whose value is null.

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Keywords removed from input schemas: OpenAI strict mode rejects them; the server checks them itself. */
const INPUT_DROPPED = new Set(["$schema", "minLength", "maxLength", "propertyNames"]);
/** Keywords removed from output schemas: meta and record key constraints that clients' linters flag. */
const OUTPUT_DROPPED = new Set(["$schema", "propertyNames"]);

function isNullSchema(node: unknown): boolean {
  return isObject(node) && node.type === "null" && Object.keys(node).length === 1;
}

/** Removes `null` from a node's type; true when the node allowed null. */
function dropNull(node: Json): boolean {
  if (Array.isArray(node.type) && node.type.includes("null")) {
    const rest = node.type.filter((t) => t !== "null");
    if (rest.length === 1) node.type = rest[0];
    else node.type = rest;
    return true;
  }
  if (Array.isArray(node.anyOf) && node.anyOf.some(isNullSchema)) {
    const rest = node.anyOf.filter((s) => !isNullSchema(s));
    delete node.anyOf;
    if (rest.length === 1 && isObject(rest[0])) Object.assign(node, { ...rest[0], ...node });
    else node.anyOf = rest;
    return true;
  }
  return false;
}

function rewrite(node: unknown, mode: "input" | "output"): unknown {
  if (Array.isArray(node)) return node.map((n) => rewrite(n, mode));
  if (!isObject(node)) return node;
  const out: Json = {};
  const dropped = mode === "input" ? INPUT_DROPPED : OUTPUT_DROPPED;
  for (const [key, value] of Object.entries(node)) {
    if (dropped.has(key)) continue;
    if (key === "additionalProperties" && isObject(value) && Object.keys(value).length === 0) continue;
    out[key] = key === "properties" && isObject(value) ? rewriteProperties(value, mode) : rewrite(value, mode);
  }
  if (mode === "output" && isObject(out.properties) && Array.isArray(out.required)) {
    // A property that may be null becomes an optional property: results leave null fields out.
    const properties = out.properties;
    out.required = out.required.filter((name) => !(isObject(properties[name]) && properties[name].__nullable));
    for (const value of Object.values(properties)) if (isObject(value)) delete value.__nullable;
  }
  if (mode === "input" && out.type === "object" && isObject(out.properties)) out.additionalProperties = false;
  return out;
}

function rewriteProperties(properties: Json, mode: "input" | "output"): Json {
  const out: Json = {};
  for (const [name, schema] of Object.entries(properties)) {
    const next = rewrite(schema, mode);
    if (mode === "output" && isObject(next) && dropNull(next)) next.__nullable = true;
    out[name] = next;
  }
  return out;
}

export function portableInputSchema(schema: Json): Json {
  return rewrite(schema, "input") as Json;
}

export function portableOutputSchema(schema: Json): Json {
  return rewrite(schema, "output") as Json;
}

/** A result as sent: fields whose value is null are left out (arrays keep their length). */
export function withoutNulls<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => withoutNulls(v)) as T;
  if (!isObject(value)) return value;
  const out: Json = {};
  for (const [key, v] of Object.entries(value)) if (v !== null && v !== undefined) out[key] = withoutNulls(v);
  return out as T;
}
