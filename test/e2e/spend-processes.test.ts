// The spend cap holds across processes: two stdio servers on one workspace (two clients, or one client's two
// sessions) share one spend ledger in the job book, so together they send no more than the cap has room for.

import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { GenerationResult } from "../../src/contract/schemas.js";
import { type Simulator, startSimulator } from "../../src/simulator/server.js";
import { spawnClient, tempWorkspace } from "../helpers/spawn.js";

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ apiKey: "e2e-key" });
});
afterAll(async () => sim.close());

it("lets 2 stdio processes × 6 concurrent calls send at most 3 requests under a cap with room for 3", async () => {
  sim.setLatency(500);
  const workspace = tempWorkspace();
  const env = { PIXELWRIGHT_WORKSPACE: workspace, OPENAI_API_KEY: "e2e-key", OPENAI_BASE_URL: sim.baseURL };
  const args = { size: "1024x1024", quality: "low", return_image: "none" };
  const probe = await spawnClient(env);
  const dry = (
    await probe.client.callTool({ name: "generate_image", arguments: { ...args, prompt: "p", dry_run: true } })
  ).structuredContent as unknown as GenerationResult;
  await probe.close();
  const estimate = dry.cost_estimate_usd as number;
  expect(estimate).toBeGreaterThan(0);
  // Room for three of them and a half: a fourth never fits, whatever order the twelve calls arrive in.
  const capped = { ...env, PIXELWRIGHT_MAX_SPEND_USD: String(estimate * 3.5) };
  const [a, b] = await Promise.all([spawnClient(capped), spawnClient(capped)]);
  try {
    const calls = Array.from({ length: 12 }, (_, i) =>
      (i % 2 ? a : b).client.callTool(
        {
          name: "generate_image",
          arguments: { ...args, prompt: `a different picture, number ${i}`, wait_seconds: 60 },
        },
        undefined,
        { timeout: 120_000 },
      ),
    );
    const results = (await Promise.all(calls)) as CallToolResult[];
    const completed = results.filter(
      (r) => (r.structuredContent as { status?: string } | undefined)?.status === "completed",
    );
    const refused = results.filter((r) => r.isError);
    expect(completed).toHaveLength(3);
    expect(refused).toHaveLength(9);
    for (const r of refused)
      expect(JSON.stringify(r.content)).toMatch(/PIXELWRIGHT_MAX_SPEND_USD allows .*nothing was sent/);
    expect(sim.stats.imageRequests).toBe(3);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}, 180_000);
