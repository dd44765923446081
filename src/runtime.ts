// Process-wide state shared by every connection: configuration, logger, workspace, job registry, upstream client
// and, with no API key, the embedded offline simulator. createServer() builds one McpServer per connection on it.

import type { Config } from "./config.js";
import type { GenerationResult } from "./contract/results.js";
import { Limiter } from "./jobs/limiter.js";
import { JobRegistry } from "./jobs/registry.js";
import { ImageService } from "./jobs/service.js";
import type { Logger } from "./log.js";
import type { Simulator } from "./simulator/server.js";
import { createUpstream } from "./upstream/index.js";
import type { Endpoint } from "./upstream/types.js";
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
  /** The embedded simulator, when running offline. */
  simulator: Simulator | null;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** Retry backoff base, shortened by tests. */
  retryBaseDelayMs?: number;
}

function providerName(config: Config): string {
  if (config.profile !== "openai") return config.profile;
  if (config.baseURL && !/^https:\/\/api\.openai\.com(\/|$)/.test(config.baseURL)) return "openai-compatible";
  return "openai";
}

export async function createRuntime(config: Config, logger: Logger, options: RuntimeOptions = {}): Promise<Runtime> {
  const workspace = new Workspace(config.workspace, config.readRoots);
  await workspace.init();
  const swept = await workspace.sweepTemps();
  if (swept > 0) logger.info({ swept }, "removed temp files left by an earlier crash");

  let simulator: Simulator | null = null;
  let endpoint: Endpoint;
  if (config.offline) {
    const { startSimulator, simulatorOptionsFromEnv } = await import("./simulator/server.js");
    simulator = await startSimulator({ ...simulatorOptionsFromEnv(), apiKey: "offline-simulator" });
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
    endpoint = {
      provider: providerName(config),
      apiKey: config.apiKey as string,
      timeoutMs: config.timeoutSeconds * 1000,
      ...(config.baseURL ? { baseURL: config.baseURL } : {}),
      ...(config.organization ? { organization: config.organization } : {}),
      ...(config.project ? { project: config.project } : {}),
    };
  }

  const limiter = new Limiter(config.maxConcurrency);
  const upstream = createUpstream({
    endpoint,
    logger,
    limiter,
    retry: {
      maxRetries: config.maxRetries,
      ...(options.retryBaseDelayMs ? { baseDelayMs: options.retryBaseDelayMs } : {}),
    },
  });
  const jobs = new JobRegistry<GenerationResult>({ logger });
  const images = new ImageService({
    upstream,
    workspace,
    jobs,
    logger,
    offline: config.offline,
    provider: endpoint.provider,
    defaultModel: config.model,
    defaultWaitSeconds: config.waitSeconds,
  });

  let closed = false;
  return {
    config,
    logger,
    workspace,
    jobs,
    limiter,
    images,
    provider: endpoint.provider,
    simulator,
    async close() {
      if (closed) return;
      closed = true;
      await jobs.abortAll("the server is shutting down");
      await simulator?.close();
    },
  };
}
