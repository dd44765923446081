// A dry run: the request checked and priced like a real one (files by their headers), nothing sent.

import { endpointPath, requestedOf } from "../../contract/request.js";
import { generationResult } from "../../contract/results.js";
import type { GenerationResult } from "../../contract/schemas.js";
import { type StrategyPlan, strategyEstimates } from "./strategy.js";
import { chosen } from "./work.js";

export function dryRunResult(
  plan: StrategyPlan,
  context: { provider: string; offline: boolean; spend: string | null },
): GenerationResult {
  const { req, inputs } = plan.native;
  const cost = chosen(plan).req.cost;
  return generationResult(
    "completed",
    {
      job_id: null,
      provider: context.provider,
      route: req.route,
      endpoint: endpointPath(req.route, inputs.references.length > 0),
      model: req.model.id,
      requested: requestedOf(req),
    },
    {
      dry_run: true,
      caveats: [
        ...(context.offline ? ["Offline simulator: no model is called."] : []),
        ...req.caveats,
        ...plan.caveats,
        `Cost basis: ${cost.basis}.`,
        ...(context.spend ? [context.spend] : []),
      ],
      cost_estimate_usd: cost.usd,
      strategy: plan.strategy,
      decision: plan.strategy === "master" && plan.master ? "master+upscale" : "native",
      estimates: strategyEstimates(plan),
      responses_model: req.route === "responses" ? req.responsesModel : null,
      next: "Call generate_image again without dry_run to generate.",
    },
  );
}
