// Process-wide state shared by every connection: configuration, logger, and (as they arrive) the workspace,
// the job registry and the upstream client. createServer() builds one McpServer per connection on top of it.

import type { Config } from "./config.js";
import type { Logger } from "./log.js";

export interface Runtime {
  config: Config;
  logger: Logger;
  close(): Promise<void>;
}

export async function createRuntime(config: Config, logger: Logger): Promise<Runtime> {
  return {
    config,
    logger,
    async close() {},
  };
}
