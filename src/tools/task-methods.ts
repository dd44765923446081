// The task book (tasks.ts) on the wire, per protocol era. 2025-11-25: the `tasks` capability, a task-augmented
// tools/call (`params.task`) answering `{task}`, and tasks/get, tasks/result, tasks/list, tasks/cancel.
// 2026-07-28: the Tasks extension (io.modelcontextprotocol/tasks, SEP-2663): a client that declares it gets a flat
// create result (`resultType: "task"`) for a tool that runs as a task, tasks/get inlines the result once complete,
// tasks/cancel answers an empty ack, and the task methods refuse a request that did not declare the extension.
// The SDK keeps no task layer of its own in v2: these are request handlers with their own schemas.

import {
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  type McpServer,
  MissingRequiredClientCapabilityError,
  ProtocolError,
  ProtocolErrorCode,
  RELATED_TASK_META_KEY,
  type ServerContext,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import { POLL_INTERVAL_MS, type TaskBook, type TaskState } from "./tasks.js";

export const TASKS_EXTENSION = "io.modelcontextprotocol/tasks";
export const LEGACY_TASK_CAPABILITIES = { list: {}, cancel: {}, requests: { tools: { call: {} } } };

const TaskIdParams = z.looseObject({ taskId: z.string() });
const AnyResult = z.looseObject({});

function notFound(taskId: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.InvalidParams, `Task not found: ${taskId}`);
}

/** A task as 2025-11-25 sends it. */
export function legacyTask(state: TaskState) {
  return {
    taskId: state.taskId,
    status: state.status,
    ...(state.statusMessage ? { statusMessage: state.statusMessage } : {}),
    ttl: state.ttlMs,
    createdAt: state.createdAt,
    lastUpdatedAt: state.lastUpdatedAt,
    pollInterval: POLL_INTERVAL_MS,
  };
}

/** A task as the Tasks extension sends it; `detailed` adds the inlined result or error (tasks/get). */
export function extensionTask(state: TaskState, detailed: boolean) {
  // A tool that ran and reported a failure is a completed task whose result says so; "failed" is a protocol error.
  const status = state.result && state.status === "failed" ? "completed" : state.status;
  return {
    taskId: state.taskId,
    status,
    ...(state.statusMessage ? { statusMessage: state.statusMessage } : {}),
    createdAt: state.createdAt,
    lastUpdatedAt: state.lastUpdatedAt,
    ttlMs: state.ttlMs,
    pollIntervalMs: POLL_INTERVAL_MS,
    ...(detailed && status === "completed" && state.result ? { result: state.result } : {}),
    ...(detailed && status === "failed" && state.error ? { error: state.error } : {}),
  };
}

/** Whether a 2026-07-28 request declared the Tasks extension. */
export function declaresTasks(ctx: ServerContext): boolean {
  const declared = (ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY] as
    | ClientCapabilities
    | undefined;
  return declared?.extensions?.[TASKS_EXTENSION] !== undefined;
}

function requireTasks(ctx: ServerContext): void {
  if (!declaresTasks(ctx)) {
    throw new MissingRequiredClientCapabilityError(
      { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
      `declare the ${TASKS_EXTENSION} extension in this request's client capabilities to use tasks`,
    );
  }
}

/** tasks/get, tasks/result, tasks/list and tasks/cancel of 2025-11-25. */
export function installLegacyTaskMethods(server: McpServer, book: TaskBook, scope: string): void {
  const s = server.server;
  s.setRequestHandler("tasks/get", { params: TaskIdParams, result: AnyResult }, async ({ taskId }) => {
    const state = await book.get(scope, taskId, false);
    if (!state) throw notFound(taskId);
    return legacyTask(state);
  });
  s.setRequestHandler("tasks/result", { params: TaskIdParams, result: AnyResult }, async ({ taskId }) => {
    const result = await book.result(scope, taskId);
    if (!result) throw notFound(taskId);
    return { ...result, _meta: { ...result._meta, [RELATED_TASK_META_KEY]: { taskId } } };
  });
  s.setRequestHandler("tasks/list", { params: z.looseObject({}), result: AnyResult }, async () => ({
    tasks: (await book.list(scope)).map(legacyTask),
  }));
  s.setRequestHandler("tasks/cancel", { params: TaskIdParams, result: AnyResult }, async ({ taskId }) => {
    const before = await book.get(scope, taskId, false);
    if (!before) throw notFound(taskId);
    if (before.status !== "working" && before.status !== "input_required") {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `Cannot cancel task in terminal status ${before.status}`,
      );
    }
    await book.cancel(scope, taskId);
    return legacyTask((await book.get(scope, taskId, false)) ?? before);
  });
}

/** tasks/get, tasks/cancel and tasks/update of the Tasks extension (2026-07-28). */
export function installExtensionTaskMethods(server: McpServer, book: TaskBook, scope: string): void {
  const s = server.server;
  s.setRequestHandler("tasks/get", { params: TaskIdParams, result: AnyResult }, async ({ taskId }, ctx) => {
    requireTasks(ctx);
    const state = await book.get(scope, taskId, true);
    if (!state) throw notFound(taskId);
    return extensionTask(state, true);
  });
  s.setRequestHandler("tasks/cancel", { params: TaskIdParams, result: AnyResult }, async ({ taskId }, ctx) => {
    requireTasks(ctx);
    if (!(await book.cancel(scope, taskId))) throw notFound(taskId);
    return {};
  });
  s.setRequestHandler("tasks/update", { params: TaskIdParams, result: AnyResult }, async ({ taskId }, ctx) => {
    requireTasks(ctx);
    if (!(await book.get(scope, taskId, false))) throw notFound(taskId);
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Task ${taskId} is not waiting for input.`);
  });
}
