// The log as stderr would carry it, kept in memory: a real logger (redaction and all) whose lines a test reads back.
import { Writable } from "node:stream";
import { createLogger, type Logger, type LogLevel } from "../../src/log.js";

export interface MemoryLog {
  logger: Logger;
  /** Everything written, as one string. */
  text(): string;
  /** Each line, parsed. */
  lines(): Array<Record<string, unknown>>;
}

export function memoryLog(level: LogLevel = "debug"): MemoryLog {
  let text = "";
  const sink = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return {
    logger: createLogger(level, sink),
    text: () => text,
    lines: () =>
      text
        .split("\n")
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
