// Log lines for a person: a CLI run at a terminal or by a script gets "pixelwright: warning: …" on stderr, not pino's
// JSON. Servers (stdio, http) and --json keep the JSON, which log collectors read. The line is made from the JSON
// pino has already redacted, so nothing secret can come back through here.

import { writeStderr } from "../output.js";

const LEVELS: Record<number, string> = {
  10: "trace: ",
  20: "debug: ",
  30: "",
  40: "warning: ",
  50: "error: ",
  60: "fatal: ",
};
/** Fields every line carries that a person does not need to read. */
const PLUMBING = new Set(["level", "time", "pid", "hostname", "name", "msg", "v"]);

function field(value: unknown): string {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && typeof (value as { message?: unknown }).message === "string") {
    return (value as { message: string }).message; // an error: its message, not its stack
  }
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/** One pino JSON line as one readable line: the level (when not info), the message, the fields in brackets. */
export function readableLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.trimEnd();
  }
  const level = LEVELS[Number(entry.level)] ?? "";
  const fields = Object.entries(entry)
    .filter(([key]) => !PLUMBING.has(key))
    .map(([key, value]) => `${key}: ${field(value)}`);
  const msg = typeof entry.msg === "string" ? entry.msg : "";
  return `pixelwright: ${level}${msg}${fields.length ? ` (${fields.join("; ")})` : ""}`;
}

/** A destination for createLogger: each JSON line pino writes comes out readable on stderr. */
export function readableLogStream(write: (line: string) => void = writeStderr): { write(chunk: string): void } {
  return {
    write(chunk: string) {
      for (const line of chunk.split("\n")) if (line.trim()) write(readableLine(line));
    },
  };
}
