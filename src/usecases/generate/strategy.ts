// Native 4K, or a stable master plus a local upscale — and auto, which tries native and produces the requested size
// from what is there when native fails or comes back smaller. Every result and record says which one it was.

import { basename } from "node:path";
import type { GenerateArgs } from "../../contract/request.js";
import type { GenerationResult, ImageReport, Strategy, StrategyEstimate } from "../../contract/schemas.js";
import { formatSize, stableMasterSize } from "../../contract/sizes.js";
import { aspectChange, MAX_ASPECT_CHANGE } from "../../contract/upscale.js";
import { errorMessage, InputError, UpstreamError } from "../../errors.js";
import { measureBuffer } from "../../imaging/inspect.js";
import type { JobContext } from "../../jobs/worker.js";
import type { Workspace } from "../../workspace/workspace.js";
import { upscaleRecord, upscaleSaved, writeUpscaleRecord } from "../upscale.js";
import { AttemptLog } from "./attempts.js";
import type { PreparedGeneration } from "./prepare.js";
import { type Asked, type GenerationDeps, type GenerationJobInput, NO_USABLE_IMAGE, runGeneration } from "./run.js";

export interface StrategyPlan {
  strategy: Strategy;
  native: PreparedGeneration;
  /** The stable master of the requested shape; null when the requested size is itself stable (or fixed). */
  master: PreparedGeneration | null;
  /** The final size; null for size auto (native only). */
  target: { width: number; height: number } | null;
  caveats: string[];
}

/**
 * Prepares the native request and, for master and auto, the stable master of the same shape. A dry run (`estimate`)
 * prepares the master for native too, so it can show every strategy's estimate side by side.
 */
export async function planStrategy(
  args: GenerateArgs,
  strategy: Strategy,
  prepare: (args: GenerateArgs) => Promise<PreparedGeneration>,
  estimate = false,
): Promise<StrategyPlan> {
  const native = await prepare(args);
  const { req } = native;
  const plain: StrategyPlan = { strategy, native, master: null, target: null, caveats: [] };
  if (req.format === "gif") {
    // The local upscale reads PNG, JPEG and WebP: a GIF animation has no master and no upscale.
    if (strategy === "native") return plain;
    throw new InputError(
      `strategy ${strategy} upscales locally, which reads PNG, JPEG and WebP: a GIF animation is made at its size or not at all. Use strategy native, or another output_format. Nothing was sent.`,
      "strategy",
    );
  }
  if (strategy === "native" && (!estimate || req.width === null || req.height === null)) return plain;
  if (req.width === null || req.height === null) {
    throw new InputError(
      `strategy ${strategy} needs a WIDTHxHEIGHT size to upscale to, not auto: give one (e.g. 3840x2160), or use strategy native.`,
      "strategy",
    );
  }
  const target = { width: req.width, height: req.height };
  const stable = stableMasterSize(req.width, req.height, req.model);
  if (!stable || (stable.width >= req.width && stable.height >= req.height)) {
    const why = `${formatSize(req.width, req.height)} is already a stable size for ${req.model.id}: it is generated natively; there is nothing to upscale.`;
    return { ...plain, target, caveats: strategy === "native" ? [] : [why] };
  }
  const master = await prepare({ ...args, size: formatSize(stable.width, stable.height) });
  return { ...plain, master, target };
}

/** The dry run's estimates of every strategy, side by side (null for size auto: only native can make it). */
export function strategyEstimates(plan: StrategyPlan): StrategyEstimate[] | null {
  const { req } = plan.native;
  if (req.width === null || req.height === null) return null;
  const size = formatSize(req.width, req.height);
  const nativeNote = req.format === "gif" ? "one paid call at the requested size (a GIF is never upscaled)" : null;
  const native: StrategyEstimate = {
    strategy: "native",
    generated_size: size,
    final_size: size,
    experimental: req.size.experimental,
    cost_estimate_usd: req.cost.usd,
    note: nativeNote ?? "one paid call at the requested size",
  };
  if (nativeNote) return [native];
  const master = plan.master?.req;
  if (!master || master.width === null || master.height === null) {
    const same = `${size} is already a stable size: it is generated natively, exactly as with strategy native`;
    return [native, { ...native, strategy: "master", note: same }, { ...native, strategy: "auto", note: same }];
  }
  const masterSize = formatSize(master.width, master.height);
  return [
    native,
    {
      strategy: "master",
      generated_size: masterSize,
      final_size: size,
      experimental: master.size.experimental,
      cost_estimate_usd: master.cost.usd,
      note: `one paid call at the stable ${masterSize} master, then a free local upscale to ${size}; both files kept`,
    },
    {
      strategy: "auto",
      generated_size: size,
      final_size: size,
      experimental: req.size.experimental,
      cost_estimate_usd: req.cost.usd,
      note: `native first; if it fails, the ${masterSize} master adds $${master.cost.usd.toFixed(4)}; a smaller delivery is upscaled for free`,
    },
  ];
}

export type JobBase = Omit<GenerationJobInput, "req" | "inputs" | "decision" | "attempts" | "asked">;

/** A finished generation whose images (those of `images`) are to be upscaled to the plan's target. */
interface UpscaleJob {
  source: GenerationResult;
  images: ImageReport[];
  plan: StrategyPlan;
  decision: string;
  local: { workspace: Workspace; warmPreview: boolean };
  ctx: JobContext;
}

/**
 * The upscaled result, or, when the local upscale fails (a delivery of another shape, a file gone, sharp), the paid
 * result as it was made: its images are saved and measured, and a failure here must not hide them or invite paying
 * again.
 */
async function upscaledOrKept(job: UpscaleJob): Promise<GenerationResult> {
  const { source, plan, decision, ctx } = job;
  try {
    return await upscaleResult(job);
  } catch (err) {
    const target = plan.target as { width: number; height: number };
    const size = formatSize(target.width, target.height);
    const reason = errorMessage(err).replace(/\.$/, "");
    ctx.report(`the local upscale to ${size} failed: ${reason}`);
    return {
      ...source,
      strategy: plan.strategy,
      decision: `${decision}; the local upscale failed, so the paid image is returned as it was made`,
      caveats: [
        ...plan.caveats,
        ...source.caveats,
        `The local upscale to ${size} failed (${reason}): the paid image is kept and measured as it was delivered. Upscale it with upscale_image once the cause is fixed; generating again would pay again.`,
      ],
    };
  }
}

/** Upscales the images of a finished generation to the target, records them, and returns the final result. */
async function upscaleResult(job: UpscaleJob): Promise<GenerationResult> {
  const { source, images, plan, decision, local, ctx } = job;
  const { workspace } = local;
  const target = plan.target as { width: number; height: number };
  const size = formatSize(target.width, target.height);
  const finals: ImageReport[] = [];
  for (const image of source.images) {
    if (!images.includes(image)) {
      finals.push(image);
      continue;
    }
    if (aspectChange(image, target) > MAX_ASPECT_CHANGE) {
      // A delivery of another shape (a gateway's own size) would be distorted, as upscale_image refuses to.
      throw new InputError(
        `the delivered ${image.width}x${image.height} has another shape than ${size}: an upscale would distort it`,
      );
    }
    ctx.report(`upscaling ${image.width}x${image.height} to ${size} locally`);
    const saved = await workspace.readImage(basename(image.path));
    if (!saved) throw new InputError(`the saved image ${image.path} cannot be read back to upscale it.`);
    const { bytes } = saved;
    const made = await upscaleSaved(
      workspace,
      { path: image.path, input: bytes, measured: await measureBuffer(bytes) },
      target,
      { decision, warmPreview: local.warmPreview },
    );
    finals.push(made.report);
    const created = { ...source, images: [made.report], decision };
    await writeUpscaleRecord(
      workspace,
      upscaleRecord(made.report, made.info, { prompt: plan.native.req.prompt, created }),
    );
  }
  return {
    ...source,
    requested: { ...source.requested, size },
    images: finals,
    strategy: plan.strategy,
    decision,
    caveats: [
      ...plan.caveats,
      ...source.caveats,
      `Upscaled locally with sharp (bicubic interpolation); the file it was made from is kept beside it (see master).`,
    ],
  };
}

/** A native failure auto answers with a master: retries or the deadline exhausted, or nothing usable came back. */
function masterCanHelp(err: unknown): err is UpstreamError {
  return err instanceof UpstreamError && (err.details.retryable || err.details.code === NO_USABLE_IMAGE);
}

/** Delivered images smaller than the target but of its shape: an upscale makes the requested size from them. */
function shortDeliveries(result: GenerationResult, target: { width: number; height: number }): ImageReport[] {
  return result.images.filter(
    (i) =>
      !i.verified &&
      i.width <= target.width &&
      i.height <= target.height &&
      (i.width < target.width || i.height < target.height) &&
      aspectChange(i, target) <= MAX_ASPECT_CHANGE,
  );
}

export async function runStrategy(
  plan: StrategyPlan,
  base: JobBase,
  deps: GenerationDeps,
  ctx: JobContext,
): Promise<GenerationResult> {
  // One log of the job's attempts across its runs: a fallback's result lists the native attempts' retries too.
  const attempts = new AttemptLog();
  const { master, target } = plan;
  const asked: Asked = {
    strategy: plan.strategy,
    caveats: plan.caveats,
    size: target ? formatSize(target.width, target.height) : null,
  };
  const run = (prepared: PreparedGeneration, decision: string, decisionIfFailed?: string) =>
    runGeneration(
      { ...base, ...prepared, decision, attempts, asked: decisionIfFailed ? { ...asked, decisionIfFailed } : asked },
      deps,
      ctx,
    );
  const withPlan = (r: GenerationResult) => ({ ...r, caveats: [...plan.caveats, ...r.caveats] });
  // The upscaled files' previews are made from the pixels in hand when the caller will show them.
  const local = { workspace: deps.workspace, warmPreview: base.warmPreview ?? false };
  if (plan.strategy === "native" || !master || !target) return withPlan(await run(plan.native, "native"));
  const size = formatSize(target.width, target.height);
  const masterSize = `${master.req.width}x${master.req.height}`;
  if (plan.strategy === "master") {
    const made = await run(master, "master+upscale");
    return upscaledOrKept({ source: made, images: made.images, plan, decision: "master+upscale", local, ctx });
  }
  let native: GenerationResult;
  try {
    native = await run(plan.native, "native");
  } catch (err) {
    if (!masterCanHelp(err)) throw err;
    const reason = err.message.replace(/\.$/, "");
    ctx.report(`native ${size} failed; generating the ${masterSize} master instead`);
    attempts.fellBack(`${reason}; auto falls back to the stable ${masterSize} master`, err.details.requestId ?? null);
    const failed = `fallback: native ${size} failed (${reason}), and the fallback to the stable ${masterSize} master did not complete (see failure)`;
    const decision = `fallback: native ${size} failed (${reason}), so the stable ${masterSize} master was generated and upscaled locally`;
    const made = await run(master, decision, failed);
    return upscaledOrKept({ source: made, images: made.images, plan, decision, local, ctx });
  }
  const short = shortDeliveries(native, target);
  if (short.length === 0) return withPlan(native);
  const first = short[0] as ImageReport;
  const decision = `fallback: ${base.provider} delivered ${first.width}x${first.height} instead of ${size}, so the delivered file was upscaled locally (no extra call)`;
  return upscaledOrKept({ source: native, images: short, plan, decision, local, ctx });
}
