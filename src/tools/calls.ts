// tools/list and tools/call, served by pixelwright itself on the SDK's request handlers. What a tool is (its
// portable schemas, its validators, its listing) is built once per process in a ToolSet; a connection or an HTTP
// request only installs two handlers over it. tools/call parses the arguments (closed objects: a misspelt argument
// is refused), builds the request's ToolExtra (cancellation, progress, read access, the spend question), runs the
// tool, checks its output against the same zod schema that tools/list advertises, and sends structuredContent
// without null fields. A task-augmented call (2025-11-25 `params.task`, or a 2026-07-28 client declaring the Tasks
// extension) answers from the task book instead; a question for the client becomes an input-required result.

import {
  type CallToolResult,
  type ClientCapabilities,
  type McpServer,
  ProtocolError,
  ProtocolErrorCode,
  type ServerContext,
  type Tool,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import { InputError, InputNeeded, InternalError, toToolError } from "../errors.js";
import type { Logger } from "../log.js";
import { VIEWER_TOOL_META, VIEWER_TOOLS } from "../ui/viewer-resource.js";
import { answersOf, ask, clientCapabilities, rootsFromRequest, spendConfirmer } from "./asking.js";
import { type AnyTool, KIND_ANNOTATIONS, type ToolExtra, type ToolOutput } from "./define.js";
import { portableInputSchema, portableOutputSchema, withoutNulls } from "./portable.js";
import type { AccessOf } from "./roots.js";
import { declaresTasks, extensionTask, legacyTask } from "./task-methods.js";
import { supportsTasks, type TaskBook } from "./tasks.js";

/**
 * The CallToolResult of a tool's output: one sentence and the JSON as text, the same JSON as structuredContent
 * (without null fields: the portable output schemas make them optional).
 */
export function callResult(out: ToolOutput<unknown>): CallToolResult {
  const structured = withoutNulls(out.structured) as Record<string, unknown>;
  return {
    structuredContent: structured,
    content: [{ type: "text", text: `${out.summary}\n${JSON.stringify(structured)}` }, ...(out.content ?? [])],
  };
}

/** Every tool of a process, as tools/list sends it and tools/call checks it. */
export interface ToolSet {
  tools: AnyTool[];
  listing: Tool[];
  byName: ReadonlyMap<string, { tool: AnyTool; input: z.ZodObject }>;
}

/**
 * The tools as served: each one's strict input validator, and the tools/list entries — taken from `built` (the
 * listing made at build time for the same settings) when it names exactly these tools, else made here.
 */
export function toolSet(tools: AnyTool[], built: Tool[] | null = null): ToolSet {
  const byName = new Map<string, { tool: AnyTool; input: z.ZodObject }>();
  // Closed, as tools/list advertises (additionalProperties: false): a misspelt argument is refused, not ignored.
  for (const tool of tools) byName.set(tool.name, { tool, input: z.strictObject(tool.input) });
  const sameTools = built !== null && built.map((t) => t.name).join() === tools.map((t) => t.name).join();
  return { tools, listing: sameTools ? built : listingOf(tools, byName), byName };
}

function listingOf(tools: AnyTool[], byName: ToolSet["byName"]): Tool[] {
  return tools.map((tool): Tool => {
    const { input } = byName.get(tool.name) as { input: z.ZodObject };
    const viewer = VIEWER_TOOLS.includes(tool.name);
    return {
      name: tool.name,
      title: tool.title,
      description: tool.description,
      inputSchema: portableInputSchema(jsonSchema(input, "input")) as Tool["inputSchema"],
      outputSchema: portableOutputSchema(jsonSchema(tool.output, "output")) as Tool["outputSchema"],
      annotations: { title: tool.title, ...KIND_ANNOTATIONS[tool.kind] },
      execution: { taskSupport: supportsTasks(tool) ? "optional" : "forbidden" },
      // The image tools name the MCP App viewer; hosts without MCP Apps ignore _meta and get the same result.
      ...(viewer ? { _meta: VIEWER_TOOL_META } : {}),
    };
  });
}

function jsonSchema(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  return z.toJSONSchema(schema, { target: "draft-2020-12", io }) as Record<string, unknown>;
}

export interface CallOptions {
  era: "legacy" | "modern";
  /** A remote (HTTP) caller reads the workspace only. */
  remote: boolean;
  book: TaskBook;
  /** Whose tasks these are: a stdio connection, or every HTTP caller together. */
  scope: string;
  /** A 2025-11-25 connection's roots, followed since initialize. */
  connectionRoots?: AccessOf;
  logger: Logger;
}

export function installToolCalls(server: McpServer, set: ToolSet, options: CallOptions): void {
  const s = server.server;
  const atInitialize = () => s.getClientCapabilities();
  s.setRequestHandler("tools/list", async () => ({ tools: set.listing }));
  s.setRequestHandler("tools/call", async (request, ctx) => {
    const { name } = request.params;
    const entry = set.byName.get(name);
    if (!entry) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Tool ${name} not found`);
    const { tool } = entry;
    const answers = answersOf(ctx);
    const capabilities = clientCapabilities(ctx, atInitialize);
    const extra = toolExtra(ctx, options, answers, capabilities);
    const legacyTaskParams =
      options.era === "legacy" ? (request.params as { task?: { ttl?: number } }).task : undefined;
    const asTask = options.era === "legacy" ? legacyTaskParams !== undefined : declaresTasks(ctx);
    try {
      if (asTask && supportsTasks(tool)) {
        const state = await options.book.create(
          options.scope,
          tool,
          request.params.arguments,
          legacyTaskParams?.ttl,
          extra,
        );
        // The SDK checks every tools/call answer as a tool result: an empty content list keeps a task answer valid.
        if (options.era === "legacy") return { task: legacyTask(state), content: [] };
        return { resultType: "task", ...extensionTask(state, false), content: [] };
      }
      if (legacyTaskParams !== undefined) {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidParams,
          `${name} does not run as a task; call it without "task".`,
        );
      }
      const parsed = entry.input.safeParse(request.params.arguments ?? {});
      if (!parsed.success) throw new InputError(`invalid arguments for ${name}: ${issues(parsed.error)}`);
      const out = await tool.handler(parsed.data, extra);
      const checked = tool.output.safeParse(out.structured);
      if (!checked.success) {
        throw new InternalError(`${name} produced a result outside its output schema: ${checked.error.message}`);
      }
      return callResult(out);
    } catch (err) {
      if (err instanceof InputNeeded) return ask(err, answers);
      if (err instanceof ProtocolError) throw err;
      return toToolError(err, options.logger);
    }
  });
}

/** Each problem with the arguments and where it is: "Too big: expected number to be <=10 at n". */
function issues(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.message} at ${i.path.join(".")}` : i.message)).join("; ");
}

/** The tool's view of one request. */
function toolExtra(
  ctx: ServerContext,
  options: CallOptions,
  answers: ReturnType<typeof answersOf>,
  capabilities: ClientCapabilities | undefined,
): ToolExtra {
  const access: AccessOf = options.remote
    ? async () => true
    : options.era === "modern"
      ? rootsFromRequest(answers, capabilities)
      : (options.connectionRoots ?? (async () => false));
  return {
    signal: ctx.mcpReq.signal,
    _meta: ctx.mcpReq._meta as ToolExtra["_meta"],
    sendNotification: (notification) => ctx.mcpReq.notify(notification as Parameters<typeof ctx.mcpReq.notify>[0]),
    access,
    confirm: spendConfirmer(answers, capabilities),
  };
}
