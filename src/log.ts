// Logs go to stderr (fd 2): in stdio mode stdout carries JSON-RPC only.

import { pino } from "pino";
import { redactText } from "./secrets.js";

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
          // Error messages from upstreams can echo keys; scrub every string field one level down.
          const out: Record<string, unknown> = {};
          for (const [key, value] of Object.entries(object)) {
            out[key] = typeof value === "string" ? redactText(value) : value;
          }
          return out;
        },
      },
    },
    stream,
  );
}
