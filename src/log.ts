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
      // Errors are serialized here, before redaction (which copies them into plain objects): a logged error keeps
      // its class as `type`, its message, stack and causes. Pino's own err serializer then has nothing left to do.
      serializers: {
        err: (value: unknown) => (value instanceof Error ? pino.stdSerializers.errWithCause(value) : value),
      },
      formatters: {
        log(object) {
          const serialized: Record<string, unknown> = {};
          for (const [key, value] of Object.entries(object)) {
            serialized[key] = value instanceof Error ? pino.stdSerializers.errWithCause(value) : value;
          }
          // Upstream errors and headers can echo keys anywhere in a nested object.
          return redactDeep(serialized, 12);
        },
      },
    },
    stream,
  );
}
