// MCP tasks over the job engine, one book for both protocol eras (the wire shapes are in task-methods.ts): a
// task-augmented tools/call starts the work and answers with the task at once; the task id is the job id, so
// verify_image collects it too. A task's state is read through TaskJobs (get by id, cancel if unsent), never the
// engine's internals, so the shared job book can back it. A task's result is exactly what the call would have
// returned; a cancel follows the rule of a cancelled call (a request already sent finishes and is kept; an unsent
// one is dropped). Tasks belong to a scope: a stdio connection, or every HTTP caller together (one shared token is
// one user).

import { randomBytes } from "node:crypto";
import type { CallToolResult } from "@modelcontextprotocol/server";
import { z } from "zod";
import { InputError, InputNeeded, InternalError } from "../errors.js";
import type { AnyTool, TaskSupport, ToolExtra, ToolOutput } from "./define.js";

const DEFAULT_TTL_MS = 60 * 60 * 1000;
const MAX_TTL_MS = 24 * 60 * 60 * 1000;
export const POLL_INTERVAL_MS = 2000;

export type TaskStatus = "working" | "input_required" | "completed" | "failed" | "cancelled";

/** A job as a task sees it. */
export interface TaskJob {
  /** What kind of work the job is (the payload's kind: "generate", …), so any process can present it. */
  kind: string | null;
  createdAt: number;
  status: "queued" | "running" | "completed" | "failed" | "cancelled";
  /** The progress sentence while it runs, the end reason once it ended. */
  message: string | null;
  finishedAt: number | null;
}

/** The job state a task reads, from the job book every process (and replica) shares: any of them answers. */
export interface TaskJobs {
  get(jobId: string): Promise<TaskJob | undefined>;
  /** Drops a job whose paid request was not sent yet and that nobody else waits for; a sent one goes on. */
  cancelUnsent(jobId: string, reason: string): Promise<void>;
  /** Resolves when the job ends (wherever it runs); undefined when the book does not hold it. */
  settled(jobId: string): Promise<void> | undefined;
}

export type Presenter = (output: ToolOutput<unknown>) => CallToolResult;
export type ErrorPresenter = (err: unknown) => CallToolResult;

/** A task's state for the wire. `result` is set once the call's answer is final; `error` when it could not be made. */
export interface TaskState {
  taskId: string;
  status: TaskStatus;
  statusMessage?: string;
  ttlMs: number;
  createdAt: string;
  lastUpdatedAt: string;
  result?: CallToolResult;
  error?: { code: number; message: string };
}

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
    private readonly jobs: TaskJobs,
    private readonly present: Presenter,
    private readonly presentError: ErrorPresenter,
    /** The tool whose task a job of this kind is: a task made by another process or replica is adopted through it. */
    private readonly toolFor: (kind: string) => (AnyTool & { task: TaskSupport }) | undefined = () => undefined,
  ) {}

  /** A task-augmented tools/call: starts the work and answers with the task at once. */
  async create(
    scope: string,
    tool: AnyTool & { task: TaskSupport },
    rawArgs: unknown,
    ttlMs: number | undefined,
    extra: ToolExtra,
  ): Promise<TaskState> {
    const parsed = z.strictObject(tool.input).safeParse(rawArgs ?? {});
    if (!parsed.success) throw new InputError(`invalid arguments for ${tool.name}: ${parsed.error.message}`);
    const args = parsed.data as Record<string, unknown>;
    const now = Date.now();
    const ttl = Math.round(Math.min(MAX_TTL_MS, Math.max(1000, ttlMs ?? DEFAULT_TTL_MS)));
    const base = { scope, createdAt: now, lastUpdatedAt: now, ttl, tool, args, cancelled: null, pending: null };
    let record: TaskRecord;
    try {
      const started = await tool.task.start(args, extra);
      if ("jobId" in started) record = { ...base, taskId: started.jobId, jobId: started.jobId, result: null };
      else if ("done" in started)
        record = { ...base, taskId: newTaskId(), jobId: null, result: this.present(started.done) };
      else record = this.background({ ...base, taskId: newTaskId(), jobId: null, result: null }, started.pending);
    } catch (err) {
      if (err instanceof InputNeeded) throw err; // a question for the client, not a failure
      // Refused before anything was sent: the task exists and has failed with the call's error result.
      record = { ...base, taskId: newTaskId(), jobId: null, result: this.presentError(err) };
    }
    this.sweep();
    this.records.set(record.taskId, record);
    return this.stateOf(record, false);
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

  /**
   * The task in this scope; a task another process or replica made (its job is in the shared book) is adopted here,
   * so any of them answers for it. The task id is the job id: 128 random bits, the capability to read it.
   */
  private async find(scope: string, taskId: string): Promise<TaskRecord | undefined> {
    const record = this.records.get(taskId);
    if (record) return record.scope === scope ? record : undefined;
    const job = await this.jobs.get(taskId);
    const tool = job?.kind ? this.toolFor(job.kind) : undefined;
    if (!job || !tool) return undefined;
    const adopted: TaskRecord = {
      taskId,
      scope,
      createdAt: job.createdAt,
      lastUpdatedAt: job.finishedAt ?? job.createdAt,
      ttl: DEFAULT_TTL_MS,
      tool,
      args: {},
      jobId: taskId,
      cancelled: null,
      result: null,
      pending: null,
    };
    this.records.set(taskId, adopted);
    return adopted;
  }

  /** The task's state; with `withResult`, the final result inline once there is one (2026-07-28 tasks/get). */
  async get(scope: string, taskId: string, withResult: boolean): Promise<TaskState | undefined> {
    const record = await this.find(scope, taskId);
    return record ? this.stateOf(record, withResult) : undefined;
  }

  /** The call's answer, waiting for the work to end (2025-11-25 tasks/result). */
  async result(scope: string, taskId: string): Promise<CallToolResult | undefined> {
    const record = await this.find(scope, taskId);
    if (!record) return undefined;
    for (;;) {
      const state = await this.stateOf(record, true);
      if (state.result) return state.result;
      if (state.error) return this.presentError(new InternalError(state.error.message));
      // A job the book does not hold (an older process's, collected from the records): ask again after a while.
      await (record.pending ??
        (record.jobId ? this.jobs.settled(record.jobId) : undefined) ??
        new Promise((r) => setTimeout(r, POLL_INTERVAL_MS)));
    }
  }

  async list(scope: string): Promise<TaskState[]> {
    this.sweep();
    const mine = [...this.records.values()].filter((r) => r.scope === scope);
    return Promise.all(mine.map((r) => this.stateOf(r, false)));
  }

  /**
   * The rule of a cancelled call (usecases/wait.ts): a job whose paid request was sent detaches (it finishes,
   * saves and stays collectable); one still unsent that nobody else shares is dropped. False for an unknown task.
   */
  async cancel(scope: string, taskId: string, message = "cancelled by the client"): Promise<boolean> {
    const record = await this.find(scope, taskId);
    if (!record) return false;
    if (record.cancelled || record.result) return true;
    record.cancelled = message;
    record.lastUpdatedAt = Date.now();
    if (record.jobId) await this.jobs.cancelUnsent(record.jobId, "the task was cancelled before its request was sent");
    return true;
  }

  private async statusOf(record: TaskRecord): Promise<{ status: TaskStatus; statusMessage?: string }> {
    if (record.cancelled) return { status: "cancelled", statusMessage: record.cancelled };
    if (record.result) {
      const failed = record.result.isError === true || structuredStatus(record.result) === "failed";
      return { status: failed ? "failed" : "completed" };
    }
    if (record.pending) return { status: "working", statusMessage: `${record.tool.name} is running` };
    const job = record.jobId ? await this.jobs.get(record.jobId) : undefined;
    if (!job) return this.remoteStatus(record);
    const message = job.message ? { statusMessage: job.message } : {};
    switch (job.status) {
      case "queued":
      case "running":
        return { status: "working", ...message };
      case "completed":
        return { status: "completed", ...message };
      case "failed":
        return { status: "failed", ...message };
      case "cancelled":
        return { status: "cancelled", ...message };
    }
  }

  /** A job this process does not hold (shared by replicas, or pruned): its state as the tool reports it. */
  private async remoteStatus(record: TaskRecord): Promise<{ status: TaskStatus; statusMessage?: string }> {
    const out = await record.tool.task.present(record.jobId as string, record.args);
    const { status, message } = out.structured as { status?: string; message?: string | null };
    if (status === "running") return { status: "working", ...(message ? { statusMessage: message } : {}) };
    record.result = this.present(out);
    return { status: status === "failed" ? "failed" : "completed" };
  }

  private async stateOf(record: TaskRecord, withResult: boolean): Promise<TaskState> {
    const { status, statusMessage } = await this.statusOf(record);
    const job = record.jobId ? await this.jobs.get(record.jobId) : undefined;
    const updated = Math.max(record.lastUpdatedAt, job?.finishedAt ?? 0);
    const state: TaskState = {
      taskId: record.taskId,
      status,
      ...(statusMessage ? { statusMessage } : {}),
      ttlMs: record.ttl,
      createdAt: new Date(record.createdAt).toISOString(),
      lastUpdatedAt: new Date(updated).toISOString(),
    };
    if (!withResult || status === "working") return state;
    try {
      return { ...state, result: await this.resultOf(record) };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return { ...state, status: "failed", error: { code: -32603, message } };
    }
  }

  private async resultOf(record: TaskRecord): Promise<CallToolResult> {
    if (record.pending) await record.pending;
    if (record.result) return record.result;
    const jobId = record.jobId as string;
    const note = record.cancelled
      ? `The task was cancelled (${record.cancelled}); a request already sent finishes and is kept: call verify_image with job_id "${jobId}" to collect it.`
      : undefined;
    const result = this.present(await record.tool.task.present(jobId, record.args, note));
    const job = await this.jobs.get(jobId);
    // Only an ended job's result is final; a cancelled task's answer may still change as its job finishes.
    if (!record.cancelled && (!job || job.finishedAt !== null)) record.result = result;
    return result;
  }

  /** Forgets tasks whose time to live has passed (their jobs stay collectable through verify_image). */
  private sweep(now = Date.now()): void {
    for (const [id, record] of this.records) if (now - record.createdAt > record.ttl) this.records.delete(id);
  }
}

/**
 * Task support for a tool whose work is local and not a job (free to finish): the handler runs detached from the
 * request that created it (no cancellation, no progress), and its output is the task's result.
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
      throw new InternalError("a background task has no job to present");
    },
  } satisfies TaskSupport;
}

/** 128 random bits: a task id is its own capability to read the task. */
export function newTaskId(): string {
  return `task_${randomBytes(16).toString("hex")}`;
}

function structuredStatus(result: CallToolResult): unknown {
  return (result.structuredContent as { status?: unknown } | undefined)?.status;
}

export function supportsTasks(tool: AnyTool): tool is AnyTool & { task: TaskSupport } {
  return (tool as { task?: TaskSupport }).task !== undefined;
}
