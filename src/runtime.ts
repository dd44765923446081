// Process-wide state shared by every connection: configuration, logger, workspace, the job book, the worker (when
// this process runs jobs), the upstream client and, with no API key, the embedded offline simulator. createServer()
// builds one McpServer per connection on it. Where paid work runs is decided here: in a detached runner (stdio
// servers and one-shot calls: a client closing or killing the server cannot end it), or in this process (the
// long-lived HTTP server, embedding, tests).

import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { bookFor } from "./book-open.js";
import type { Config } from "./config.js";
import { tierModels } from "./contract/models.js";
import type { ProfileLimits } from "./contract/request.js";
import { errorMessage, WorkspaceError } from "./errors.js";
import { loadSharp } from "./imaging/sharp.js";
import { type JobBook, workerName } from "./jobs/book.js";
import { LazyBook } from "./jobs/lazy-book.js";
import { Limiter } from "./jobs/limiter.js";
import { Worker } from "./jobs/worker.js";
import type { Logger } from "./log.js";
import { detachedRunner } from "./runner.js";
import { registerSecret } from "./secrets.js";
import type { Simulator, SimulatorOptions } from "./simulator/server.js";
import { createBatchApi } from "./upstream/batch-api.js";
import { getClient } from "./upstream/client.js";
import { DEFAULT_DOWNLOAD_POLICY, type DownloadPolicy } from "./upstream/download.js";
import { findProfile, type GatewayProfile } from "./upstream/gateways.js";
import { createUpstream } from "./upstream/index.js";
import type { Endpoint } from "./upstream/types.js";
import { ImageService } from "./usecases/service.js";
import { SpendGuard } from "./usecases/spend-guard.js";
import { Workspace } from "./workspace/workspace.js";

export const OFFLINE_PROVIDER = "offline-simulator";

/** What this process is: it decides where paid work runs. */
export type Role = "embedded" | "stdio" | "call" | "http" | "runner";

export interface Runtime {
  config: Config;
  logger: Logger;
  workspace: Workspace;
  /** The job book every process on the workspace shares (Redis for replicas). */
  book: JobBook;
  /** This configuration's pool in the book: the jobs this process's workers may run. */
  pool: string;
  /** The worker of this process, when it runs jobs itself; null when a detached runner does. */
  worker: Worker | null;
  /** Where paid work runs. */
  runnerMode: "detached" | "in-process";
  limiter: Limiter;
  images: ImageService;
  provider: string;
  /** The guards for downloading images (gateway url answers, verify_image url). */
  downloadPolicy: DownloadPolicy;
  /** The embedded simulator, when running offline. */
  simulator: Simulator | null;
  /**
   * Loads what the first image call needs in the background (openai and sharp here, or a detached runner started
   * ahead), so the first image call does not pay for it; called by the serving transports once the MCP handshake is
   * done. Idempotent; never throws.
   */
  warm(): Promise<void>;
  /**
   * Says once, as warnings, what a person should know before an image call: the offline simulator answers, and
   * OPENAI_BASE_URL is ignored without a key. Servers say it at start; a one-shot call once its tool and arguments
   * passed their checks (a misspelt call is refused first).
   */
  announce(): void;
  /** Stops work: jobs running in this process get graceMs to finish (unsent ones go back to the queue). */
  close(graceMs?: number): Promise<void>;
  /** The input ended: jobs of this process not yet sent are dropped; sent (paid) ones finish, save and record. */
  drain(): Promise<void>;
}

export interface RuntimeOptions {
  /** Retry backoff base, shortened by tests. */
  retryBaseDelayMs?: number;
  /** What this process is (default embedded: jobs run in this process). */
  role?: Role;
  /** How to start this program again as a detached runner: [node, cli.js] (the CLI gives its own). */
  runnerCommand?: readonly string[];
  /** The runner role: called when the runner has had nothing to do for PIXELWRIGHT_RUNNER_IDLE_SECONDS. */
  onIdle?: () => void;
}

/** The profile in force: the one chosen, else "openai", or "openai-compatible" when OPENAI_BASE_URL points elsewhere. */
export function effectiveProfile(config: Config): GatewayProfile {
  if (config.profile !== undefined) return findProfile(config.profile) as GatewayProfile;
  const custom = config.baseURL !== undefined && !/^https:\/\/api\.openai\.com(\/|$)/.test(config.baseURL);
  return findProfile(custom ? "openai-compatible" : "openai") as GatewayProfile;
}

/**
 * The pool of a configuration: jobs admitted under it are run only by workers with the same endpoint, key, profile
 * and limits (a runner started for one key never spends another's). The key is hashed, never stored.
 */
export function poolOf(config: Config): string {
  const identity = [
    config.offline ? "offline" : (config.baseURL ?? "default"),
    config.offline
      ? null
      : createHash("sha256")
          .update(config.apiKey ?? "")
          .digest("hex"),
    config.organization ?? null,
    config.project ?? null,
    config.profile ?? null,
    config.timeoutSeconds,
    config.streamIdleSeconds,
    config.downloadTimeoutSeconds,
    config.maxRetries,
    config.allowPrivateUrls,
    config.maxSpendUsd ?? null,
  ];
  return `pool_${createHash("sha256").update(JSON.stringify(identity)).digest("hex").slice(0, 16)}`;
}

function downloadPolicy(config: Config, profile: GatewayProfile, simulatorOrigin: string | null): DownloadPolicy {
  const base = { ...DEFAULT_DOWNLOAD_POLICY, timeoutMs: config.downloadTimeoutSeconds * 1000 };
  if (config.allowPrivateUrls) return { ...base, allowHttp: true, isAllowedAddress: () => true };
  // Offline, the embedded simulator serves url-only answers from its own origin: exactly that origin (scheme, host
  // and port) is exempt, nothing else on loopback. Every other URL meets the same guards as online.
  if (simulatorOrigin) return { ...base, trustedOrigin: simulatorOrigin };
  return { ...base, allowHttp: profile.allowHttpUrls };
}

/**
 * The simulator with the knobs from the environment: embedded when offline, or standalone (`pixelwright simulator`).
 * This file is the one production wiring point that loads simulator/.
 */
export async function startStandaloneSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const { startSimulator, simulatorOptionsFromEnv } = await import("./simulator/server.js");
  return startSimulator({ ...simulatorOptionsFromEnv(), ...options });
}

/**
 * The workspace, made if missing. A server for one client (stdio) and a one-shot call start without it, so that
 * validate_size, tools/list and a sentence for every image call still work; everything else needs it at start.
 */
async function openWorkspace(config: Config, logger: Logger, role: Role): Promise<Workspace> {
  const workspace = new Workspace(config.workspace, config.readRoots);
  await workspace.init().catch((err: unknown) => {
    if (!(err instanceof WorkspaceError) || (role !== "stdio" && role !== "call")) throw err;
    // A one-shot call says it only if its tool needs the workspace; a server says it at start, in its log.
    if (role === "stdio") logger.warn(errorMessage(err));
  });
  return workspace;
}

function endpointOf(config: Config, profile: GatewayProfile, simulator: Simulator | null): Endpoint {
  if (simulator) {
    return {
      provider: OFFLINE_PROVIDER,
      baseURL: simulator.baseURL,
      apiKey: "offline-simulator",
      timeoutMs: config.timeoutSeconds * 1000,
    };
  }
  const baseURL = config.baseURL ?? profile.baseURL ?? undefined;
  return {
    provider: profile.name,
    apiKey: config.apiKey as string,
    timeoutMs: config.timeoutSeconds * 1000,
    ...(baseURL ? { baseURL } : {}),
    ...(config.organization ? { organization: config.organization } : {}),
    ...(config.project ? { project: config.project } : {}),
  };
}

function runnerModeOf(config: Config, role: Role): "detached" | "in-process" {
  if (role === "runner" || role === "http" || role === "embedded") return "in-process";
  return config.runner === "in-process" ? "in-process" : "detached";
}

/** The upstream client every job of this process sends through (with the simulator's origin trusted offline). */
function upstreamOf(
  config: Config,
  logger: Logger,
  endpoint: Endpoint,
  policy: DownloadPolicy,
  options: RuntimeOptions,
): { upstream: ReturnType<typeof createUpstream>; limiter: Limiter } {
  const profile = effectiveProfile(config);
  const limiter = new Limiter(config.maxConcurrency);
  const upstream = createUpstream({
    endpoint,
    logger,
    slots: limiter,
    fanOut: profile.fanOut,
    // The simulator can imitate url-only gateways, so offline accepts both shapes.
    accepts: config.offline ? { b64: true, url: true } : profile.accepts,
    download: policy,
    streamIdleMs: config.streamIdleSeconds * 1000,
    retry: {
      maxRetries: config.maxRetries,
      ...(options.retryBaseDelayMs ? { baseDelayMs: options.retryBaseDelayMs } : {}),
    },
  });
  return { upstream, limiter };
}

/** The Batch API's calls retry like image calls (its create, the paid step, never does). */
function batchRetry(config: Config, options: RuntimeOptions) {
  return {
    maxRetries: config.maxRetries,
    ...(options.retryBaseDelayMs ? { baseDelayMs: options.retryBaseDelayMs } : {}),
  };
}

/** What the request contract knows of the upstream's limits (the simulator takes everything). */
function limitsOf(config: Config): ProfileLimits {
  const profile = effectiveProfile(config);
  if (config.offline) return { name: OFFLINE_PROVIDER, rejects: [], ignores: [], tierModels: tierModels() };
  return {
    name: profile.name,
    rejects: profile.rejects,
    ignores: profile.ignores,
    tierModels: profile.tierModels,
    maxReferenceImages: profile.maxReferenceImages,
  };
}

/** The worker of a process that runs jobs itself: claims the pool's jobs from the book and runs them. */
function workerOf(
  runtime: { config: Config; logger: Logger; book: JobBook; pool: string; images: ImageService },
  onIdle?: () => void,
): Worker {
  const { config, logger, book, pool, images } = runtime;
  return new Worker({
    book,
    name: workerName(hostname(), process.pid),
    pool,
    concurrency: config.maxConcurrency,
    leaseMs: config.redisLockSeconds * 1000,
    logger,
    work: (job, ctx) => images.work.run(job, ctx),
    settle: (job, err, reason) => images.work.settle(job, err, reason),
    ended: (job, outcome) => images.work.ended(job, outcome),
    onLost: (job) => images.work.lost(job),
    ...(onIdle ? { onIdle, idleMs: config.runnerIdleSeconds * 1000 } : {}),
  });
}

/** The warnings of `announce`, said once per process. */
function announcer(config: Config, logger: Logger, workspace: Workspace): () => void {
  let said = false;
  return () => {
    if (said || !config.offline) return;
    said = true;
    if (!config.apiKey && config.baseURL) {
      logger.warn("OPENAI_BASE_URL is ignored without OPENAI_API_KEY; using the embedded simulator");
    }
    logger.warn(
      { workspace: workspace.root },
      config.apiKey
        ? "PIXELWRIGHT_OFFLINE is set: using the embedded offline simulator; no model is called"
        : "no OPENAI_API_KEY: using the embedded offline simulator; images are placeholders and no model is called",
    );
  };
}

export async function createRuntime(config: Config, logger: Logger, options: RuntimeOptions = {}): Promise<Runtime> {
  // Whatever the entry point (CLI, tests, embedding), the secrets in force are redacted from everything shown.
  registerSecret(config.apiKey);
  registerSecret(config.httpToken);
  const role = options.role ?? "embedded";
  const workspace = await openWorkspace(config, logger, role);
  const book = await bookFor(config, logger, workspace, {
    replica: role === "http",
    lazy: role === "stdio" || role === "call",
  });
  const pool = poolOf(config);
  const runnerMode = runnerModeOf(config, role);
  // Only a process that runs jobs needs the simulator; a detached runner starts its own.
  const simulator =
    config.offline && runnerMode === "in-process"
      ? await startStandaloneSimulator({ apiKey: "offline-simulator" }).catch(async (err: unknown) => {
          await book.close();
          throw err;
        })
      : null;
  const endpoint = endpointOf(config, effectiveProfile(config), simulator);
  const announce = announcer(config, logger, workspace);
  if (role !== "runner" && role !== "call") announce();
  const policy = downloadPolicy(config, effectiveProfile(config), simulator ? new URL(simulator.baseURL).origin : null);
  const { upstream, limiter } = upstreamOf(config, logger, endpoint, policy, options);
  let worker: Worker | null = null;
  const detached =
    runnerMode === "detached"
      ? detachedRunner({ book, pool, workspace, config, logger, command: options.runnerCommand })
      : null;
  const spend = new SpendGuard(
    book,
    { maxSpendUsd: config.maxSpendUsd, confirmAboveUsd: config.confirmAboveUsd },
    { offline: config.offline, logger },
  );
  const provider = config.offline ? OFFLINE_PROVIDER : endpoint.provider;
  const images = new ImageService({
    spend,
    book,
    pool,
    wakeWorker: async () => (worker ? worker.poke() : await detached?.ensure()),
    upstream,
    batchApi: createBatchApi({ endpoint, logger, retry: batchRetry(config, options) }),
    workspace,
    logger,
    offline: config.offline,
    provider,
    defaultModel: config.model,
    defaultResponsesModel: config.responsesModel,
    maxActiveJobs: config.maxConcurrency + config.maxQueued,
    concurrency: config.maxConcurrency,
    downloadPolicy: policy,
    profile: limitsOf(config),
  });
  if (runnerMode === "in-process") {
    worker = workerOf({ config, logger, book, pool, images }, options.onIdle);
    // A runner takes its lease first, then starts its worker itself (cli/runner.ts).
    if (role !== "runner") worker.start();
  }
  // Replicas on a shared folder append the manifest one at a time (O_APPEND is not atomic across machines on NFS).
  if (book.kind === "redis") workspace.setAppendLock((append) => book.withLock("manifest", append));
  const parts = {
    config,
    logger,
    workspace,
    book,
    pool,
    worker,
    runnerMode,
    limiter,
    images,
    provider,
    simulator,
    announce,
  };
  return assemble(parts, policy, endpoint, () => detached?.ensure() ?? Promise.resolve());
}

/** The runtime's lifecycle around its parts: warm-up, the end of input, and closing in order. */
function assemble(
  parts: Omit<Runtime, "warm" | "close" | "drain" | "downloadPolicy">,
  policy: DownloadPolicy,
  endpoint: Endpoint,
  startRunner: () => Promise<void>,
): Runtime {
  const { worker, images, simulator, book, logger } = parts;
  let closed = false;
  let warming: Promise<void> | null = null;
  return {
    ...parts,
    downloadPolicy: policy,
    warm() {
      // A process that runs jobs loads the SDK and sharp; one whose runner is detached only starts its runner (which
      // loads them itself, and exits after a minute with nothing to do): the runner keeps each image's preview, so
      // this process loads sharp only if it must make another.
      const opened = book instanceof LazyBook ? book.open() : Promise.resolve(book);
      warming ??= Promise.all([
        opened,
        worker ? Promise.all([getClient(endpoint, logger), loadSharp()]) : startRunner(),
      ]).then(
        () => logger.debug("openai and sharp loaded ahead of the first image call"),
        (err: unknown) => logger.debug({ err }, "warming up failed; the first image call will load what it needs"),
      );
      return warming;
    },
    drain: async () => {
      await images.settled();
      await worker?.drain("the client closed its input before the request was sent");
    },
    async close(graceMs?: number) {
      if (closed) return;
      closed = true;
      await images.settled();
      await worker?.close(graceMs ?? 0, "the server is shutting down");
      await simulator?.close();
      await book.close();
    },
  };
}
