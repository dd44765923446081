// MCP tasks (spec 2025-11-25) on top of the job engine: a task-augmented tools/call starts the work and answers
// with the task at once; the task id is the job id, so verify_image collects it too. tasks/get reports the job's
// state and progress sentence, tasks/result gives exactly what the call would have returned, tasks/cancel follows
// the rule of a cancelled call (a request already sent finishes and is kept; an unsent one is dropped), and
// tasks/list lists the tasks of this connection (over HTTP, of every caller of this server: they share the token).

import { randomBytes } from "node:crypto";
import type { CreateTaskOptions, TaskStore } from "@modelcontextprotocol/sdk/experimental/tasks/interfaces.js";
import type { CallToolResult, Result, Task } from "@modelcontextprotocol/sdk/types.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { GenerationResult } from "../contract/schemas.js";
import type { Job, JobRegistry } from "../jobs/registry.js";
import { progressMessage } from "../usecases/wait.js";
import type { AnyTool, TaskSupport, ToolExtra, ToolOutput } from "./define.js";

const DEFAULT_TTL_MS = 60 * 60 * 1000;
const MAX_TTL_MS = 24 * 60 * 60 * 1000;
const POLL_INTERVAL_MS = 2000;

export type Presenter = (output: ToolOutput<unknown>) => CallToolResult;
export type ErrorPresenter = (err: unknown) => CallToolResult;

interface TaskRecord {
  taskId: string;
  scope: string;
  createdAt: number;
  lastUpdatedAt: number;
  ttl: number;
  tool: AnyTool & { task: TaskSupport };
  args: Record<string, unknown>;
  jobId: string | null;
  /** Set when the client cancelled the task. */
  cancelled: string | null;
  /** The final result, once known. */
  result: CallToolResult | null;
  /** Work that is not a job, running in this process. */
  pending: Promise<void> | null;
}

/** Every task of one server process. */
export class TaskBook {
  private readonly records = new Map<string, TaskRecord>();

  constructor(
    private readonly jobs: JobRegistry<GenerationResult>,
    private readonly present: Presenter,
    private readonly presentError: ErrorPresenter,
  ) {}

  /** A task-augmented tools/call: starts the work and answers with the task at once. */
  async create(
    scope: string,
    tool: AnyTool & { task: TaskSupport },
    rawArgs: unknown,
    options: CreateTaskOptions,
    extra: ToolExtra,
  ): Promise<{ task: Task }> {
    const parsed = z.strictObject(tool.input).safeParse(rawArgs ?? {});
    if (!parsed.success) {
      throw new McpError(ErrorCode.InvalidParams, `Invalid arguments for tool ${tool.name}: ${parsed.error.message}`);
    }
    const args = parsed.data as Record<string, unknown>;
    const now = Date.now();
    const ttl = Math.min(MAX_TTL_MS, Math.max(1000, options.ttl ?? DEFAULT_TTL_MS));
    const base = { scope, createdAt: now, lastUpdatedAt: now, ttl, tool, args, cancelled: null, pending: null };
    let record: TaskRecord;
    try {
      const started = await tool.task.start(args, extra);
      if ("jobId" in started) record = { ...base, taskId: started.jobId, jobId: started.jobId, result: null };
      else if ("done" in started)
        record = { ...base, taskId: newTaskId(), jobId: null, result: this.present(started.done) };
      else record = this.background({ ...base, taskId: newTaskId(), jobId: null, result: null }, started.pending);
    } catch (err) {
      // Refused before anything was sent: the task exists and has failed with the call's error result.
      record = { ...base, taskId: newTaskId(), jobId: null, result: this.presentError(err) };
    }
    this.sweep();
    this.records.set(record.taskId, record);
    return { task: await this.taskOf(record) };
  }

  /** A task over work that is not a job: its result is kept when the work settles. */
  private background(record: TaskRecord, work: Promise<ToolOutput<unknown>>): TaskRecord {
    record.pending = work.then(
      (out) => {
        record.result = this.present(out);
        record.pending = null;
      },
      (err: unknown) => {
        record.result = this.presentError(err);
        record.pending = null;
      },
    );
    return record;
  }

  /** The TaskStore the SDK's tasks/get, tasks/result, tasks/list and tasks/cancel handlers use, for one scope. */
  store(scope: string): TaskStore {
    const find = (taskId: string) => {
      const record = this.records.get(taskId);
      return record && record.scope === scope ? record : undefined;
    };
    return {
      createTask: async () => {
        throw new McpError(ErrorCode.InvalidRequest, "tasks are created by a task-augmented tools/call");
      },
      getTask: async (taskId) => {
        const record = find(taskId);
        return record ? this.taskOf(record) : null;
      },
      storeTaskResult: async (taskId, _status, result: Result) => {
        const record = find(taskId);
        if (record) record.result = result as CallToolResult;
      },
      getTaskResult: async (taskId) => {
        const record = find(taskId);
        if (!record) throw new McpError(ErrorCode.InvalidParams, `Task not found: ${taskId}`);
        return this.resultOf(record);
      },
      updateTaskStatus: async (taskId, status, statusMessage) => {
        const record = find(taskId);
        if (record && status === "cancelled") this.cancel(record, statusMessage);
      },
      listTasks: async () => {
        this.sweep();
        const mine = [...this.records.values()].filter((r) => r.scope === scope);
        const tasks = await Promise.all(mine.map((r) => this.taskOf(r)));
        return { tasks };
      },
    };
  }

  private job(record: TaskRecord): Job<GenerationResult> | undefined {
    return record.jobId ? this.jobs.get(record.jobId) : undefined;
  }

  private async statusOf(record: TaskRecord): Promise<{ status: Task["status"]; statusMessage?: string }> {
    if (record.cancelled) return { status: "cancelled", statusMessage: record.cancelled };
    if (record.result) {
      const failed = record.result.isError === true || structuredStatus(record.result) === "failed";
      return { status: failed ? "failed" : "completed" };
    }
    if (record.pending) return { status: "working", statusMessage: `${record.tool.name} is running` };
    const job = this.job(record);
    if (!job) return this.remoteStatus(record);
    switch (job.status) {
      case "queued":
      case "running":
        return { status: "working", statusMessage: progressMessage(job) };
      case "completed":
        return { status: "completed", statusMessage: job.progress.message };
      case "failed":
        return { status: "failed", statusMessage: job.endReason ?? "failed" };
      case "cancelled":
        return { status: "cancelled", statusMessage: job.endReason ?? "cancelled" };
    }
  }

  /** A job this process does not hold (shared by replicas, or pruned): its state as the tool reports it. */
  private async remoteStatus(record: TaskRecord): Promise<{ status: Task["status"]; statusMessage?: string }> {
    const out = await record.tool.task.present(record.jobId as string, record.args);
    const { status, message } = out.structured as { status?: string; message?: string | null };
    if (status === "running") return { status: "working", ...(message ? { statusMessage: message } : {}) };
    record.result = this.present(out);
    return { status: status === "failed" ? "failed" : "completed" };
  }

  private async taskOf(record: TaskRecord): Promise<Task> {
    const { status, statusMessage } = await this.statusOf(record);
    const job = this.job(record);
    const updated = Math.max(record.lastUpdatedAt, job?.finishedAt ?? 0);
    return {
      taskId: record.taskId,
      status,
      ...(statusMessage ? { statusMessage } : {}),
      ttl: record.ttl,
      createdAt: new Date(record.createdAt).toISOString(),
      lastUpdatedAt: new Date(updated).toISOString(),
      pollInterval: POLL_INTERVAL_MS,
    };
  }

  private async resultOf(record: TaskRecord): Promise<CallToolResult> {
    if (record.pending) await record.pending;
    if (record.result) return record.result;
    const jobId = record.jobId as string;
    const note = record.cancelled
      ? `The task was cancelled (${record.cancelled}); a request already sent finishes and is kept: call verify_image with job_id "${jobId}" to collect it.`
      : undefined;
    const result = this.present(await record.tool.task.present(jobId, record.args, note));
    const job = this.job(record);
    // Only an ended job's result is final; a cancelled task's answer may still change as its job finishes.
    if (!record.cancelled && (!job || job.finishedAt !== null)) record.result = result;
    return result;
  }

  /**
   * The rule of a cancelled call (usecases/wait.ts awaitJob): a job whose paid request was sent detaches (it
   * finishes, saves and stays collectable); one still unsent that nobody else shares is dropped.
   */
  private cancel(record: TaskRecord, message = "cancelled by the client"): void {
    record.cancelled = message;
    record.lastUpdatedAt = Date.now();
    const job = this.job(record);
    if (job && job.finishedAt === null && !job.sent && job.attachments <= 1) {
      this.jobs.cancel(job, "the task was cancelled before its request was sent");
    }
  }

  /** Forgets tasks whose time to live has passed (their jobs stay collectable through verify_image). */
  private sweep(now = Date.now()): void {
    for (const [id, record] of this.records) if (now - record.createdAt > record.ttl) this.records.delete(id);
  }
}

/**
 * Task support for a tool whose work is local and not a job (free to finish): the handler runs detached from the
 * request that created the task, and its output is the task's result.
 */
export function inBackground(
  handler: (args: Record<string, unknown>, extra: ToolExtra) => Promise<ToolOutput<unknown>>,
) {
  return {
    start: async (args: Record<string, unknown>, extra: ToolExtra) => {
      const detached: ToolExtra = {
        ...extra,
        signal: new AbortController().signal,
        _meta: {},
        sendNotification: async () => {},
      };
      return { pending: handler(args, detached) };
    },
    present: async () => {
      throw new McpError(ErrorCode.InternalError, "a background task has no job to present");
    },
  } satisfies TaskSupport;
}

function newTaskId(): string {
  return `task_${randomBytes(8).toString("hex")}`;
}

function structuredStatus(result: CallToolResult): unknown {
  return (result.structuredContent as { status?: unknown } | undefined)?.status;
}

export function supportsTasks(tool: AnyTool): tool is AnyTool & { task: TaskSupport } {
  return (tool as { task?: TaskSupport }).task !== undefined;
}
