// The image service the tools call: validate locally, share identical work, run it as a job, wait with a deadline,
// and turn a job into the result an agent sees. Also verification of files already on disk.

import { createHash } from "node:crypto";
import { basename, dirname } from "node:path";
import { type GenerateArgs, type ProfileLimits, validateGenerateRequest } from "../contract/request.js";
import { EXPERIMENTAL_PIXELS, type GenerationResult, type ImageReport, imageReport } from "../contract/results.js";
import { parseSize } from "../contract/sizes.js";
import { judge } from "../contract/verdict.js";
import { BusyError, InputError, UpstreamError } from "../errors.js";
import { measureBuffer, measureFile } from "../imaging/inspect.js";
import type { Logger } from "../log.js";
import { type DownloadPolicy, downloadImage } from "../upstream/download.js";
import type { Upstream } from "../upstream/index.js";
import type { Workspace } from "../workspace/workspace.js";
import { imageUri, prepareInputs, runGeneration } from "./generation.js";
import type { Job, JobProgress, JobRegistry } from "./registry.js";

export interface ServiceDeps {
  upstream: Upstream;
  workspace: Workspace;
  jobs: JobRegistry<GenerationResult>;
  logger: Logger;
  offline: boolean;
  provider: string;
  defaultModel: string;
  defaultResponsesModel: string;
  profile: ProfileLimits;
  downloadPolicy: DownloadPolicy;
  /** Running plus queued jobs allowed at once; beyond that generate_image answers "busy". */
  maxActiveJobs: number;
}

export interface WaitOptions {
  waitSeconds: number;
  signal?: AbortSignal;
  /** Receives job progress and heartbeats while the caller waits. */
  onProgress?: (update: JobProgress) => void;
}

export interface GenerateOptions extends WaitOptions {
  /** The caller is remote (HTTP): local files may come from the workspace only. */
  workspaceOnly?: boolean;
  filename?: string | undefined;
  /** The caller will show the default preview (a hint to start encoding it early). */
  warmPreview?: boolean;
  dryRun?: boolean | undefined;
  fresh?: boolean | undefined;
}

export const MAX_WAIT_SECONDS = 600;
const HEARTBEAT_MS = 4000;

export interface VerifyResult {
  status: "verified" | "mismatch" | "unverifiable";
  images: ImageReport[];
}

export class ImageService {
  constructor(private readonly deps: ServiceDeps) {}

  get provider(): string {
    return this.deps.provider;
  }

  async generate(args: GenerateArgs, options: GenerateOptions): Promise<GenerationResult> {
    const { deps } = this;
    const req = validateGenerateRequest(args, {
      model: deps.defaultModel,
      responsesModel: deps.defaultResponsesModel,
      profile: deps.profile,
    });
    // File checks (jail, formats, mask) happen before anything is sent, for dry runs too.
    const inputs = await prepareInputs(req, deps.workspace, options.workspaceOnly);
    const requested = {
      size: req.wireSize,
      quality: req.quality,
      output_format: req.format,
      background: req.background ?? null,
      n: req.n,
    };
    if (options.dryRun) {
      const base = this.emptyResult("", req.model.id, requested, inputs.references.length > 0);
      return {
        ...base,
        route: req.route,
        endpoint:
          req.route === "responses"
            ? "/v1/responses"
            : inputs.references.length > 0
              ? "/v1/images/edits"
              : "/v1/images/generations",
        responses_model: req.route === "responses" ? req.responsesModel : null,
        status: "completed",
        dry_run: true,
        caveats: [...base.caveats, ...req.caveats, `Cost basis: ${req.cost.basis}.`],
        cost_estimate_usd: req.cost.usd,
        next: "Call generate_image again without dry_run to generate.",
      };
    }

    const key = createHash("sha256")
      .update(
        JSON.stringify([
          deps.provider,
          req.route,
          req.route === "responses" ? req.responsesModel : null,
          req.model.id,
          req.wireSize,
          req.quality,
          req.format,
          req.compression,
          req.background,
          req.n,
          req.partialImages,
          req.moderation,
          req.inputFidelity,
          req.prompt,
          options.filename ?? null,
          inputs.references.map((f) => createHash("sha256").update(f.bytes).digest("hex")),
          inputs.mask ? createHash("sha256").update(inputs.mask.bytes).digest("hex") : null,
        ]),
      )
      .digest("hex");
    const existing = options.fresh ? undefined : deps.jobs.findReusable(key);
    if (existing) {
      deps.logger.info({ job: existing.id }, "identical request: reusing the job instead of a new paid call");
      const result = await this.await(existing, options);
      return {
        ...result,
        reused_job: true,
        caveats: [
          ...result.caveats,
          `An identical request ${existing.finishedAt ? "completed" : "is running"} as job ${existing.id}: its result is returned and nothing was paid twice. Pass fresh: true to force a new generation.`,
        ],
      };
    }

    const active = deps.jobs.running().length;
    if (active >= deps.maxActiveJobs) {
      throw new BusyError(
        `${active} generations are running or queued (the limit is ${deps.maxActiveJobs}: PIXELWRIGHT_MAX_CONCURRENCY + PIXELWRIGHT_MAX_QUEUED); nothing was sent.`,
        30,
      );
    }
    const label = `rendering ${req.wireSize}${req.n > 1 ? ` x${req.n}` : ""} ${req.quality}`;
    const slow = (req.width ?? 0) * (req.height ?? 0) > EXPERIMENTAL_PIXELS;
    const typical = deps.offline
      ? "the offline simulator usually answers within seconds"
      : slow
        ? "usually 60-180 s"
        : "usually 10-60 s";
    const job = deps.jobs.start(key, { label, typical }, (ctx) =>
      runGeneration(
        {
          jobId: ctx.jobId,
          req,
          inputs,
          filename: options.filename,
          provider: deps.provider,
          warmPreview: options.warmPreview ?? false,
        },
        deps,
        ctx,
      ),
    );
    return this.await(job, options);
  }

  /** Waits for a job (by id) and reports it exactly like a completed generate_image. */
  async collect(jobId: string, options: WaitOptions): Promise<GenerationResult> {
    const job = this.deps.jobs.get(jobId);
    if (job) return this.await(job, options);
    const recovered = await this.recover(jobId);
    if (recovered) return recovered;
    throw new InputError(
      `no job "${jobId}" is known: it may be from another server process whose images were never saved. Check the workspace (${this.deps.workspace.root}) or generate again.`,
      "job_id",
    );
  }

  /** After a restart, a finished job's result is rebuilt from its sidecar records. */
  private async recover(jobId: string): Promise<GenerationResult | null> {
    if (!/^job_[0-9a-f]{16}$/.test(jobId)) return null;
    const names = await this.deps.workspace.listImages(5000);
    for (const name of names) {
      const path = await this.deps.workspace.imagePath(name);
      if (!path) continue;
      const record = await this.deps.workspace.readSidecar<{ job_id?: string; result?: GenerationResult }>(path);
      if (record?.job_id === jobId && record.result) {
        return { ...record.result, caveats: [...record.result.caveats, "Recovered from the workspace records."] };
      }
    }
    return null;
  }

  private async await(job: Job<GenerationResult>, options: WaitOptions): Promise<GenerationResult> {
    const { jobs } = this.deps;
    const waitMs = Math.min(MAX_WAIT_SECONDS, Math.max(0, options.waitSeconds)) * 1000;
    job.attachments++;
    let unsubscribe = () => {};
    let heartbeat: NodeJS.Timeout | undefined;
    if (options.onProgress) {
      const send = options.onProgress;
      // The first notification goes out at once, so the client knows work started.
      send({ ...job.progress, message: this.progressMessage(job) });
      unsubscribe = jobs.subscribe(job, (update) =>
        send({ ...update, message: update.partial ? update.message : this.progressMessage(job, update.message) }),
      );
      heartbeat = setInterval(() => send({ ...job.progress, message: this.progressMessage(job) }), HEARTBEAT_MS);
    }
    try {
      const done = await jobs.wait(job, waitMs, options.signal);
      if (!done && options.signal?.aborted && job.attachments === 1) {
        // The caller went away and no other caller ever shared the job: stop paying for it.
        jobs.cancel(job, "cancelled by the client");
        await jobs.wait(job, 5000);
      }
      return this.snapshot(job);
    } finally {
      if (heartbeat) clearInterval(heartbeat);
      unsubscribe();
    }
  }

  private progressMessage(job: Job<GenerationResult>, latest?: string): string {
    const elapsed = Math.round((Date.now() - job.createdAt) / 1000);
    const typical = job.typical;
    const state = job.status === "queued" ? "queued" : job.label;
    const detail = latest && !latest.startsWith(job.label) ? ` (${latest})` : "";
    return `${state} — ${elapsed} s elapsed, ${typical}${detail}`;
  }

  /** A job as a result: finished jobs give their result; running ones say how to collect them. */
  snapshot(job: Job<GenerationResult>): GenerationResult {
    if (job.status === "completed" && job.result) return job.result;
    const base = this.emptyResult(job.id, "", null, false);
    if (job.status === "failed" || job.status === "cancelled") {
      const err = job.error;
      const rid = err instanceof UpstreamError && err.details.requestId ? ` (request id ${err.details.requestId})` : "";
      const message =
        job.status === "cancelled"
          ? `the job was cancelled: ${job.endReason ?? "cancelled"}; no file was written.`
          : `${err instanceof Error ? err.message : String(err)}${rid}`;
      return {
        ...base,
        status: "failed",
        message,
        request_ids: err instanceof UpstreamError && err.details.requestId ? [err.details.requestId] : [],
        elapsed_ms: (job.finishedAt ?? Date.now()) - job.createdAt,
        next: job.status === "cancelled" ? "Call generate_image again to start over." : null,
      };
    }
    return {
      ...base,
      status: "running",
      message: this.progressMessage(job),
      elapsed_ms: Date.now() - job.createdAt,
      next: `Call verify_image with job_id "${job.id}" (and wait_seconds up to ${MAX_WAIT_SECONDS}) to wait for and verify the result. Do not call generate_image again: that would pay twice.`,
    };
  }

  private emptyResult(
    jobId: string,
    model: string,
    requested: GenerationResult["requested"] | null,
    edit: boolean,
  ): GenerationResult {
    return {
      status: "running",
      job_id: jobId,
      provider: this.deps.provider,
      route: "images",
      endpoint: edit ? "/v1/images/edits" : "/v1/images/generations",
      model,
      requested: requested ?? { size: "", quality: "", output_format: "", background: null, n: 0 },
      images: [],
      caveats: this.deps.offline ? ["Offline simulator: no model is called."] : [],
      request_ids: [],
      usage: null,
      cost_estimate_usd: null,
      elapsed_ms: 0,
      upstream_ms: null,
      retries: [],
      next: null,
      reused_job: false,
      dry_run: false,
      message: null,
      responses_model: null,
      response_ids: [],
      image_call_ids: [],
      assistant_text: null,
    };
  }

  /** Measures a remote image (downloaded under the guards, never saved) against an expectation. */
  async verifyUrl(
    url: string,
    expectedSize?: string,
    expectedFormat?: string,
    signal?: AbortSignal,
  ): Promise<VerifyResult> {
    const expected = expectation(expectedSize, expectedFormat);
    const downloaded = await downloadImage(url, this.deps.downloadPolicy, signal);
    const measured = await measureBuffer(downloaded.bytes);
    const { verified, mismatch } = judge(measured, expected);
    const report = imageReport({ path: downloaded.finalUrl, uri: downloaded.finalUrl }, measured, expected, {
      verified,
      mismatch,
    });
    return { status: verdictStatus(verified, expected), images: [report] };
  }

  async verifyPath(
    path: string,
    expectedSize?: string,
    expectedFormat?: string,
    workspaceOnly = false,
  ): Promise<VerifyResult> {
    const { workspace } = this.deps;
    const real = await workspace.resolveReadable(path, "path", workspaceOnly);
    let expected = expectation(expectedSize, expectedFormat);
    const record = await workspace.readSidecar<{
      expected_size?: string | null;
      expected_format?: string;
      saved?: { sha256?: string };
      requested?: { output_format?: string };
    }>(real);
    if (!expectedSize && record?.expected_size) {
      const [w, h] = record.expected_size.split("x").map(Number);
      if (w && h) expected = { ...expected, width: w, height: h };
    }
    if (!expectedFormat && record?.expected_format) expected.format = record.expected_format;

    const measured = await measureFile(real);
    const verdict = judge(measured, expected);
    let { verified, mismatch } = verdict;
    if (record?.saved?.sha256 && record.saved.sha256 !== measured.sha256) {
      verified = false;
      mismatch = `${mismatch ? `${mismatch} ` : ""}The file changed since it was saved: its sha256 differs from the production record.`;
    }
    const root = await workspace.init();
    const uri = dirname(real) === root ? imageUri(basename(real)) : `file://${real}`;
    const report = imageReport({ path: real, uri }, measured, expected, { verified, mismatch });
    return { status: verdictStatus(verified, expected), images: [report] };
  }
}

type Expected = { width: number | null; height: number | null; format: string | null };

function expectation(expectedSize?: string, expectedFormat?: string): Expected {
  const expected: Expected = { width: null, height: null, format: expectedFormat ?? null };
  if (!expectedSize) return expected;
  const parsed = parseSize(expectedSize);
  if (parsed.kind === "error") throw new InputError(`expected_size: ${parsed.message}`, "expected_size");
  return parsed.kind === "dims" ? { ...expected, width: parsed.width, height: parsed.height } : expected;
}

function verdictStatus(verified: boolean, expected: Expected): VerifyResult["status"] {
  if (verified) return "verified";
  return expected.width === null && expected.format === null ? "unverifiable" : "mismatch";
}
