// Results on the wire leave out fields whose value is null (the published output schemas make them optional, which
// every client's validator accepts). fromWire puts the nulls back, so a received result parses with the schemas here.
// Pure: zod only.

import { z } from "zod";

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault) {
    s = (s as unknown as { unwrap(): z.ZodType }).unwrap();
  }
  return s;
}

function restore(schema: z.ZodType, value: unknown): unknown {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodArray && Array.isArray(value))
    return value.map((v) => restore(inner.element as z.ZodType, v));
  if (!(inner instanceof z.ZodObject) || typeof value !== "object" || value === null || Array.isArray(value))
    return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [key, field] of Object.entries(inner.shape as Record<string, z.ZodType>)) {
    if (out[key] === undefined) {
      if (!field.safeParse(undefined).success && field.safeParse(null).success) out[key] = null;
    } else out[key] = restore(field, out[key]);
  }
  return out;
}

/** A received structuredContent, parsed with its schema after the left-out null fields are restored. */
export function fromWire<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  return schema.parse(restore(schema, value));
}
