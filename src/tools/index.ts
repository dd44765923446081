// The tool registry: every tool the server offers, in the order clients list them.

import type { Runtime } from "../runtime.js";
import type { AnyTool } from "./define.js";
import { generateImageTool } from "./generate-image.js";
import { validateSizeTool } from "./validate-size.js";
import { verifyImageTool } from "./verify-image.js";

export function allTools(runtime: Runtime, remote: boolean): AnyTool[] {
  return [validateSizeTool(runtime.config.model), generateImageTool(runtime, remote), verifyImageTool(runtime, remote)];
}
