// The caller's side of a generation job: after every local check passed, share an identical job or admit a new one
// — capacity, the spend reservation for its first attempt, its inputs staged in the workspace — and put it in the
// book, where a worker (a detached runner, or this process) takes it. Everything refusable was refused before.

import type { GenerateArgs } from "../../contract/request.js";
import { EXPERIMENTAL_PIXELS } from "../../contract/results.js";
import { BusyError } from "../../errors.js";
import type { BookJob, JobBook } from "../../jobs/book.js";
import type { Upstream } from "../../upstream/index.js";
import { removeStaged, stageInputs } from "../../workspace/state.js";
import type { Workspace } from "../../workspace/workspace.js";
import type { Admission, SpendConfirmer, SpendGuard } from "../spend-guard.js";
import { type GenerationPayload, generationPayload } from "./payload.js";
import type { PreparedGeneration } from "./prepare.js";
import type { StrategyPlan } from "./strategy.js";
import { chosen, jobRequest } from "./work.js";

export const REUSE_WINDOW_MS = 10 * 60 * 1000;

export interface SubmitDeps {
  book: JobBook;
  pool: string;
  workspace: Workspace;
  upstream: Upstream;
  spend: SpendGuard;
  maxActiveJobs: number;
  offline: boolean;
}

export interface SubmitOptions {
  key: string;
  fresh: boolean;
  filename: string | undefined;
  warmPreview: boolean;
  confirmSpend: boolean;
  confirm: SpendConfirmer | undefined;
  /** Calls reading their input files right now in this process: they count against the busy cap too. */
  preparing: number;
}

export type Submitted = { job: BookJob; reused: boolean };

function busy(active: number, limit: number): BusyError {
  return new BusyError(
    `${active} generations are running, queued or reading their input files (the limit is ${limit}: PIXELWRIGHT_MAX_CONCURRENCY + PIXELWRIGHT_MAX_QUEUED); nothing was read or sent.`,
    30,
  );
}

/**
 * The arguments as the worker will prepare them again: defaults resolved, input paths pointing at staged copies
 * (an edit_of source among them: the payload carries the resolved edit instead of edit_of).
 */
function queuedArgs(args: GenerateArgs, prepared: PreparedGeneration, staged: string[]): GenerateArgs {
  const { req, inputs } = prepared;
  const refs = inputs.references.length;
  const { edit_of: _resolved, ...rest } = args;
  return {
    ...rest,
    model: req.model.id,
    ...(req.route === "responses" ? { responses_model: req.responsesModel } : {}),
    ...(refs > 0 ? { reference_images: staged.slice(0, refs) } : {}),
    ...(inputs.mask ? { mask: staged[refs] as string } : {}),
    ...(inputs.markup ? { markup: staged[refs] as string } : {}),
  };
}

/** The identical job that is running or recent, unless the caller asked for a fresh one. */
export function findIdentical(deps: SubmitDeps, key: string, fresh: boolean): Promise<BookJob | null> {
  return fresh ? Promise.resolve(null) : deps.book.find(key, REUSE_WINDOW_MS);
}

/**
 * Puts a new job in the book (or shares the identical one that raced it there). Money last: a shared job costs
 * nothing, and a refusal here has sent nothing.
 */
export async function submitGeneration(
  deps: SubmitDeps,
  args: GenerateArgs,
  plan: StrategyPlan,
  options: SubmitOptions,
): Promise<Submitted> {
  const active = (await deps.book.active()) + options.preparing;
  if (active >= deps.maxActiveJobs) throw busy(active, deps.maxActiveJobs);
  const first = chosen(plan);
  const { req } = first;
  const parts = deps.upstream.calls({ route: req.route }, req.n);
  const admission = await deps.spend.admit(req.cost.usd, parts, req.n, options.confirmSpend, options.confirm);
  const { inputs } = plan.native;
  let staged: { dir: string; paths: string[] } | null = null;
  try {
    const guide = inputs.mask ?? inputs.markup;
    staged = await stageInputs(deps.workspace, [...inputs.references, ...(guide ? [guide] : [])]);
    const outcome = await deps.book.submit({
      key: options.key,
      fresh: options.fresh,
      pool: deps.pool,
      about: about(first, deps.offline),
      payload: generationPayload({
        args: queuedArgs(args, plan.native, staged?.paths ?? []) as GenerationPayload["args"],
        filename: options.filename ?? null,
        strategy: plan.strategy,
        warmPreview: options.warmPreview,
        staged: staged?.dir ?? null,
        admitted: admission.ids,
        edit: plan.native.req.editOf
          ? { editOf: plan.native.req.editOf, followUp: plan.native.followUp ?? null }
          : null,
      }),
      request: jobRequest(plan.native, plan.strategy),
      reuseWindowMs: REUSE_WINDOW_MS,
      maxActive: deps.maxActiveJobs,
    });
    if ("busy" in outcome) throw busy(outcome.busy, deps.maxActiveJobs);
    if (outcome.reused) {
      await undo(deps, admission, staged);
      return outcome;
    }
    await deps.spend.assign(admission, outcome.job.id);
    return outcome;
  } catch (err) {
    await undo(deps, admission, staged);
    throw err;
  }
}

async function undo(deps: SubmitDeps, admission: Admission, staged: { dir: string } | null): Promise<void> {
  await admission.release();
  if (staged) await removeStaged(deps.workspace, staged.dir);
}

/** What the job does and how long such a job usually takes, for progress messages. */
function about({ req }: PreparedGeneration, offline: boolean): { label: string; typical: string } {
  const label = `rendering ${req.wireSize}${req.n > 1 ? ` x${req.n}` : ""} ${req.quality}`;
  const slow = (req.width ?? 0) * (req.height ?? 0) > EXPERIMENTAL_PIXELS;
  const typical = offline
    ? "the offline simulator usually answers within seconds"
    : slow
      ? "usually 60-180 s"
      : "usually 10-60 s";
  return { label, typical };
}
