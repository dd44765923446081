// Logs go to stderr (fd 2): in stdio mode stdout carries JSON-RPC only. Every string in a log line, at any depth
// (error messages, headers, provider answers), is redacted before it is written.

import { pino } from "pino";
import { redactDeep, redactText } from "./secrets.js";

export type Logger = pino.Logger;
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const REDACT_PATHS = [
  "apiKey",
  "*.apiKey",
  "httpToken",
  "*.httpToken",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  'headers["x-api-key"]',
];

export function createLogger(level: LogLevel = "info", destination: pino.DestinationStream | number = 2): Logger {
  const stream = typeof destination === "number" ? pino.destination({ fd: destination, sync: true }) : destination;
  return pino(
    {
      level,
      base: { name: "pixelwright" },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      hooks: {
        logMethod(args, method) {
          const cleaned = args.map((arg) => (typeof arg === "string" ? redactText(arg) : arg));
          method.apply(this, cleaned as Parameters<typeof method>);
        },
      },
      formatters: {
        log(object) {
          // Upstream errors and headers can echo keys anywhere in a nested object.
          return redactDeep(object as Record<string, unknown>);
        },
      },
    },
    stream,
  );
}
