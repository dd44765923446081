// The tool registry: every tool the server offers, in the order clients list them. Built once per process (and
// remote flag): what differs per request (read access, the spend question) reaches a handler through its extra.

import type { Runtime } from "../runtime.js";
import type { AnyTool } from "./define.js";
import { generateBatchTool } from "./generate-batch.js";
import { generateImageTool } from "./generate-image.js";
import { upscaleImageTool } from "./upscale-image.js";
import { validateSizeTool } from "./validate-size.js";
import { verifyImageTool } from "./verify-image.js";

export function allTools(runtime: Runtime): AnyTool[] {
  return [
    validateSizeTool(runtime.config.model),
    generateImageTool(runtime),
    generateBatchTool(runtime),
    verifyImageTool(runtime),
    upscaleImageTool(runtime),
  ];
}
