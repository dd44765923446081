// The tool registry: every tool the server offers, in the order clients list them.

import type { Runtime } from "../runtime.js";
import type { AnyTool } from "./define.js";
import { validateSizeTool } from "./validate-size.js";

export function allTools(runtime: Runtime): AnyTool[] {
  return [validateSizeTool(runtime.config.model)];
}
