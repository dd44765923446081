// GET /v1/models: the model list an OpenAI key sees, for `pixelwright doctor` (a free probe: base URL, key, model).
// Lists every active image model of the contract tables and the default Responses model.

import { activeModels, DEFAULT_RESPONSES_MODEL } from "../contract/models.js";
import type { Exchange } from "./context.js";
import { sendJson } from "./http.js";

/** Created time of every listed model: fixed, so answers are stable. */
const CREATED = 1_700_000_000;

export function handleModels(ex: Exchange): void {
  const ids = [...activeModels().map((m) => m.id), DEFAULT_RESPONSES_MODEL];
  sendJson(ex.res, 200, {
    object: "list",
    data: ids.map((id) => ({ id, object: "model", created: CREATED, owned_by: "pixelwright-simulator" })),
  });
}
