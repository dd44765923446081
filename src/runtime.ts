// Process-wide state shared by every connection: configuration, logger, workspace, job registry, upstream client
// and, with no API key, the embedded offline simulator. createServer() builds one McpServer per connection on it.

import type { Config } from "./config.js";
import { tierModels } from "./contract/models.js";
import type { GenerationResult } from "./contract/schemas.js";
import { loadSharp } from "./imaging/sharp.js";
import { Limiter } from "./jobs/limiter.js";
import { JobRegistry } from "./jobs/registry.js";
import type { Logger } from "./log.js";
import { loadRedis } from "./redis-load.js";
import { registerSecret } from "./secrets.js";
import type { Simulator, SimulatorOptions } from "./simulator/server.js";
import { getClient } from "./upstream/client.js";
import { DEFAULT_DOWNLOAD_POLICY, type DownloadPolicy } from "./upstream/download.js";
import { findProfile, type GatewayProfile } from "./upstream/gateways.js";
import { createUpstream } from "./upstream/index.js";
import type { Endpoint } from "./upstream/types.js";
import { ImageService } from "./usecases/service.js";
import type { GenerationCluster } from "./usecases/shared.js";
import { SpendGuard } from "./usecases/spend-guard.js";
import { Workspace } from "./workspace/workspace.js";

export const OFFLINE_PROVIDER = "offline-simulator";

export interface Runtime {
  config: Config;
  logger: Logger;
  workspace: Workspace;
  jobs: JobRegistry<GenerationResult>;
  limiter: Limiter;
  images: ImageService;
  provider: string;
  /** The guards for downloading images (gateway url answers, verify_image url). */
  downloadPolicy: DownloadPolicy;
  /** The embedded simulator, when running offline. */
  simulator: Simulator | null;
  /** Jobs shared with other replicas through Redis (HTTP with PIXELWRIGHT_REDIS_URL), else null. */
  cluster: GenerationCluster | null;
  /**
   * Loads `openai` (and builds the client) and `sharp` in the background, so the first image call does not pay for
   * them; called by the serving transports once the MCP handshake is done. Idempotent; never throws.
   */
  warm(): Promise<void>;
  /** Stops work: shared jobs running here get graceMs to finish (queued ones go to other replicas). */
  close(graceMs?: number): Promise<void>;
  /** The input ended: jobs not yet sent are dropped; sent (paid) ones finish within their deadlines, save and record. */
  drain(): Promise<void>;
}

export interface RuntimeOptions {
  /** Retry backoff base, shortened by tests. */
  retryBaseDelayMs?: number;
  /** Join the replicas sharing PIXELWRIGHT_REDIS_URL (the long-running HTTP server only). */
  shared?: boolean;
}

/** With PIXELWRIGHT_REDIS_URL, the replicas' shared jobs (bullmq loads only here, only then). */
async function connectCluster(
  config: Config,
  logger: Logger,
  work: () => ImageService,
): Promise<GenerationCluster | null> {
  if (!config.redisUrl) return null;
  const { connectRedisCluster } = await loadRedis();
  const cluster: GenerationCluster = await connectRedisCluster({
    url: config.redisUrl,
    logger,
    concurrency: config.maxConcurrency,
    maxActive: config.maxConcurrency + config.maxQueued,
    lockMs: config.redisLockSeconds * 1000,
    work: (payload, ctx) => work().runShared(payload, ctx),
  });
  logger.info({ redis: config.redisUrl }, "sharing jobs, dedupe and limits with the other replicas through Redis");
  return cluster;
}

/** The profile in force: the one chosen, else "openai", or "openai-compatible" when OPENAI_BASE_URL points elsewhere. */
export function effectiveProfile(config: Config): GatewayProfile {
  if (config.profile !== undefined) return findProfile(config.profile) as GatewayProfile;
  const custom = config.baseURL !== undefined && !/^https:\/\/api\.openai\.com(\/|$)/.test(config.baseURL);
  return findProfile(custom ? "openai-compatible" : "openai") as GatewayProfile;
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

async function openWorkspace(config: Config, logger: Logger): Promise<Workspace> {
  const workspace = new Workspace(config.workspace, config.readRoots);
  await workspace.init();
  const swept = await workspace.sweepTemps();
  if (swept > 0) logger.info({ swept }, "removed temp files left by an earlier crash");
  return workspace;
}

export async function createRuntime(config: Config, logger: Logger, options: RuntimeOptions = {}): Promise<Runtime> {
  // Whatever the entry point (CLI, tests, embedding), the secrets in force are redacted from everything shown.
  registerSecret(config.apiKey);
  registerSecret(config.httpToken);
  const workspace = await openWorkspace(config, logger);

  let simulator: Simulator | null = null;
  let endpoint: Endpoint;
  const profile = effectiveProfile(config);
  if (config.offline) {
    simulator = await startStandaloneSimulator({ apiKey: "offline-simulator" });
    endpoint = {
      provider: OFFLINE_PROVIDER,
      baseURL: simulator.baseURL,
      apiKey: "offline-simulator",
      timeoutMs: config.timeoutSeconds * 1000,
    };
    logger.warn(
      { workspace: workspace.root },
      config.apiKey
        ? "PIXELWRIGHT_OFFLINE is set: using the embedded offline simulator; no model is called"
        : "no OPENAI_API_KEY: using the embedded offline simulator; images are placeholders and no model is called",
    );
  } else {
    const baseURL = config.baseURL ?? profile.baseURL ?? undefined;
    endpoint = {
      provider: profile.name,
      apiKey: config.apiKey as string,
      timeoutMs: config.timeoutSeconds * 1000,
      ...(baseURL ? { baseURL } : {}),
      ...(config.organization ? { organization: config.organization } : {}),
      ...(config.project ? { project: config.project } : {}),
    };
  }

  const limiter = new Limiter(config.maxConcurrency);
  const upstream = createUpstream({
    endpoint,
    logger,
    slots: limiter,
    fanOut: profile.fanOut,
    // The simulator can imitate url-only gateways, so offline accepts both shapes.
    accepts: simulator ? { b64: true, url: true } : profile.accepts,
    download: downloadPolicy(config, profile, simulator ? new URL(simulator.baseURL).origin : null),
    streamIdleMs: config.streamIdleSeconds * 1000,
    retry: {
      maxRetries: config.maxRetries,
      ...(options.retryBaseDelayMs ? { baseDelayMs: options.retryBaseDelayMs } : {}),
    },
  });
  const jobs = new JobRegistry<GenerationResult>({ logger });
  if (config.redisUrl && !options.shared) {
    logger.info("PIXELWRIGHT_REDIS_URL is for `pixelwright http` replicas; this process keeps its jobs to itself");
  }
  let images: ImageService | null = null;
  const cluster = options.shared
    ? await connectCluster(config, logger, () => images as ImageService).catch(async (err: unknown) => {
        await simulator?.close();
        throw err;
      })
    : null;
  images = new ImageService({
    spend: new SpendGuard(workspace, { maxSpendUsd: config.maxSpendUsd, confirmAboveUsd: config.confirmAboveUsd }),
    cluster: cluster ?? undefined,
    upstream,
    workspace,
    jobs,
    logger,
    offline: config.offline,
    provider: endpoint.provider,
    defaultModel: config.model,
    defaultResponsesModel: config.responsesModel,
    maxActiveJobs: config.maxConcurrency + config.maxQueued,
    downloadPolicy: downloadPolicy(config, profile, simulator ? new URL(simulator.baseURL).origin : null),
    profile: simulator
      ? { name: OFFLINE_PROVIDER, rejects: [], ignores: [], tierModels: tierModels() }
      : {
          name: profile.name,
          rejects: profile.rejects,
          ignores: profile.ignores,
          tierModels: profile.tierModels,
          maxReferenceImages: profile.maxReferenceImages,
        },
  });

  if (cluster) {
    const shared = cluster;
    workspace.setAppendLock((append) => shared.withLock("manifest", append));
    shared.start();
  }
  let closed = false;
  let warming: Promise<void> | null = null;
  return {
    config,
    logger,
    workspace,
    jobs,
    limiter,
    images,
    provider: endpoint.provider,
    downloadPolicy: downloadPolicy(config, profile, simulator ? new URL(simulator.baseURL).origin : null),
    simulator,
    cluster,
    warm() {
      warming ??= Promise.all([getClient(endpoint, logger), loadSharp()]).then(
        () => logger.debug("openai and sharp loaded ahead of the first image call"),
        (err: unknown) => logger.debug({ err }, "warming up failed; the first image call will load what it needs"),
      );
      return warming;
    },
    drain: () => jobs.drain("the client closed its input before the request was sent"),
    async close(graceMs?: number) {
      await cluster?.close(graceMs);
      if (closed) return;
      closed = true;
      await jobs.abortAll("the server is shutting down");
      await simulator?.close();
    },
  };
}
