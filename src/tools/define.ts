// A tool is data: name, semantic kind, schemas and a handler. The kind alone decides the annotations, so no tool
// can claim to be read-only while spending money.

import type { ContentBlock, ToolAnnotations } from "@modelcontextprotocol/server";
import type { z } from "zod";
import type { SpendConfirmer } from "../usecases/spend-guard.js";
import type { AccessOf } from "./roots.js";

/**
 * pure: no I/O, free. generate: spends money upstream and writes files. inspect: reads files, jobs or a URL, writes
 * nothing. local: free work on this machine that writes new files (never replaces one); the same call gives the same
 * file.
 */
export type ToolKind = "pure" | "generate" | "inspect" | "local";

export const KIND_ANNOTATIONS: Readonly<Record<ToolKind, ToolAnnotations>> = {
  pure: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  generate: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  inspect: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  local: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
};

/**
 * What a tool handler gets besides its arguments, for one request: its cancellation, its progress channel, the
 * folders it may read and how to ask the person about a cost. Built by tools/calls.ts from the SDK's request context,
 * so the tools are defined once per process and know nothing of the protocol era.
 */
export interface ToolExtra {
  signal: AbortSignal;
  /** The request's `_meta` (progressToken). */
  _meta?: { progressToken?: string | number | undefined } | undefined;
  sendNotification(notification: { method: string; params?: Record<string, unknown> }): Promise<void>;
  /** The read access for files this request names (workspace only, or the client's roots too). */
  access: AccessOf;
  /** Asks the person about a cost; absent when nobody can be asked. */
  confirm?: SpendConfirmer | undefined;
}

export interface ToolOutput<O> {
  /** The structured result (never base64). */
  structured: O;
  /** One human sentence, shown before the JSON in the text block. */
  summary: string;
  /** Images and resource links that follow the text block. */
  content?: ContentBlock[];
}

export interface ToolDefinition<I extends z.ZodRawShape, O extends z.ZodObject> {
  name: string;
  title: string;
  description: string;
  kind: ToolKind;
  input: I;
  output: O;
  handler: (args: z.infer<z.ZodObject<I>>, extra: ToolExtra) => Promise<ToolOutput<z.infer<O>>>;
  /** Present when the tool can run as an MCP task (task support "optional"). */
  task?: TaskSupport;
}

/** How a tool runs as a task: start without waiting, and present a job as the call would. */
export interface TaskSupport {
  /**
   * Starts the work: the job to follow, the finished output when nothing had to run (a dry run, a reused job), or
   * work running in this process that is not a job (a local operation: see inBackground in tasks.ts).
   */
  start(
    args: Record<string, unknown>,
    extra: ToolExtra,
  ): Promise<{ jobId: string } | { done: ToolOutput<unknown> } | { pending: Promise<ToolOutput<unknown>> }>;
  /** What the call returns for this job now; `note` is added to the result's caveats. */
  present(jobId: string, args: Record<string, unknown>, note?: string): Promise<ToolOutput<unknown>>;
}

// biome-ignore lint/suspicious/noExplicitAny: a registry holds tools of every input and output shape.
export type AnyTool = ToolDefinition<any, any>;

export function defineTool<I extends z.ZodRawShape, O extends z.ZodObject>(tool: ToolDefinition<I, O>): AnyTool {
  return tool;
}
