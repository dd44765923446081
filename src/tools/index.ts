// The tool registry: every tool the server offers, in the order clients list them.

import type { Runtime } from "../runtime.js";
import type { SpendConfirmer } from "../usecases/spend-guard.js";
import type { AnyTool } from "./define.js";
import { generateImageTool } from "./generate-image.js";
import type { AccessOf } from "./roots.js";
import { upscaleImageTool } from "./upscale-image.js";
import { validateSizeTool } from "./validate-size.js";
import { verifyImageTool } from "./verify-image.js";

/** `access` gives the folders a request may read (the workspace only when remote; the client's roots when given). */
export function allTools(
  runtime: Runtime,
  remote: boolean,
  access: AccessOf = async () => remote,
  confirm?: SpendConfirmer,
): AnyTool[] {
  return [
    validateSizeTool(runtime.config.model),
    generateImageTool(runtime, access, confirm),
    verifyImageTool(runtime, access),
    upscaleImageTool(runtime, access),
  ];
}
