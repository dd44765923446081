// Spend controls: the rolling 24 h cap refuses locally (zero upstream calls) in a sentence with spent, remaining and
// when room frees up; above the confirmation threshold the person is asked through MCP elicitation, or told how to
// proceed when the client cannot ask.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { connectInProcess } from "../../src/cli/call.js";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { createRuntime } from "../../src/runtime.js";
import { createServer } from "../../src/server.js";
import {
  type Connected,
  connectTo,
  HEADERS,
  png,
  type Scripted,
  scriptedProvider,
  scriptedSessions,
} from "../helpers/scripted-provider.js";

const { defer } = scriptedSessions();

/** A provider whose every answer reports usage worth $0.40 at gpt-image-2 list prices (13,342 output tokens). */
async function setUp(config = {}): Promise<{ p: Scripted; s: Connected }> {
  const image = await png();
  const usage = { input_tokens: 0, input_tokens_details: { text_tokens: 0, image_tokens: 0 }, output_tokens: 13_342 };
  const p = await scriptedProvider((res, n) => {
    res.writeHead(200, HEADERS(`req_${n}`));
    res.end(JSON.stringify({ created: 1, data: [{ b64_json: image.toString("base64") }], usage }));
  });
  const s = await connectTo(p.baseURL, config);
  defer(p.close, s.close);
  return { p, s };
}

const text = (r: CallToolResult) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");

describe("PIXELWRIGHT_MAX_SPEND_USD", () => {
  it("refuses a request that would pass the rolling cap, with zero upstream calls, saying spent, remaining and when", async () => {
    const { p, s } = await setUp({ maxSpendUsd: 0.5 });
    const first = await s.generate({ prompt: "first", quality: "high" });
    expect(first.cost_usd).toBe(0.4003);
    const refused = await s.call("generate_image", { prompt: "second", quality: "high", size: "1024x1024" });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/\$0\.40 spent, \$0\.10 remaining.*nothing was sent.*frees up at .*\(in 2\d h/);
    expect(p.calls).toBe(1);
  });

  it("shows the same in a dry run", async () => {
    const { p, s } = await setUp({ maxSpendUsd: 0.5 });
    await s.generate({ prompt: "first", quality: "high" });
    const dry = await s.generate({ prompt: "second", quality: "high", dry_run: true });
    expect(dry.caveats.join(" ")).toMatch(/\$0\.40 spent, \$0\.10 remaining.*so it would not be sent/);
    expect(p.calls).toBe(1);
  });
});

describe("PIXELWRIGHT_CONFIRM_ABOVE_USD", () => {
  it("refuses, saying how to proceed, when the client cannot ask; confirm_spend: true proceeds", async () => {
    const { p, s } = await setUp({ confirmAboveUsd: 0.1 });
    const refused = await s.call("generate_image", { prompt: "pricey", quality: "high", size: "1024x1024" });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/confirm_spend: true.*raise PIXELWRIGHT_CONFIRM_ABOVE_USD/);
    expect(p.calls).toBe(0);
    const confirmed = await s.generate({ prompt: "pricey", quality: "high", confirm_spend: true });
    expect(confirmed.status).toBe("completed");
    expect(p.calls).toBe(1);
  });

  it.each([
    ["accept", "completed", 1],
    ["decline", "declined", 0],
  ] as const)("asks through elicitation; the person answers %s", async (action, outcome, calls) => {
    const { p, s } = await setUp({ confirmAboveUsd: 0.1 });
    const server = createServer(s.runtime);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: "asks", version: "0" }, { capabilities: { elicitation: { form: {} } } });
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params.message);
      return action === "accept" ? { action, content: { confirm: true } } : { action };
    });
    await server.connect(serverSide);
    await client.connect(clientSide);
    defer(async () => {
      await client.close();
      await server.close();
    });
    const result = (await client.callTool({
      name: "generate_image",
      arguments: { prompt: "ask me", quality: "high", size: "1024x1024", return_image: "none" },
    })) as CallToolResult;
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatch(/estimated at \$0\.21.*PIXELWRIGHT_CONFIRM_ABOVE_USD/);
    if (outcome === "completed") expect(result.structuredContent).toMatchObject({ status: "completed" });
    else expect(text(result)).toMatch(/Not sent: you declined spending \$0\.21/);
    expect(p.calls).toBe(calls);
  });

  it.each([
    ["accept", "completed", 1],
    ["decline", "declined", 0],
  ] as const)(
    "asks a 2026-07-28 client with an input-required result; the person answers %s",
    async (action, outcome, calls) => {
      const { p, s } = await setUp({ confirmAboveUsd: 0.1 });
      const session = await connectInProcess(s.runtime, {
        era: "modern",
        client: { capabilities: { elicitation: { form: {} } } },
      });
      defer(session.close);
      const asked: string[] = [];
      session.client.setRequestHandler("elicitation/create", async (request) => {
        asked.push(request.params.message);
        return action === "accept" ? { action, content: { confirm: true } } : { action };
      });
      const result = await session.client.callTool({
        name: "generate_image",
        arguments: { prompt: "ask me again", quality: "high", size: "1024x1024", return_image: "none" },
      });
      expect(session.client.getProtocolEra()).toBe("modern");
      expect(asked).toHaveLength(1);
      expect(asked[0]).toMatch(/estimated at \$0\.21.*PIXELWRIGHT_CONFIRM_ABOVE_USD/);
      if (outcome === "completed") expect(result.structuredContent).toMatchObject({ status: "completed" });
      else expect(text(result as CallToolResult)).toMatch(/Not sent: you declined spending \$0\.21/);
      expect(p.calls).toBe(calls);
    },
  );
});

describe("the agent cannot approve its own spending", () => {
  it("asks the person when the client can ask, even with confirm_spend: true; declined, nothing is sent", async () => {
    const { p, s } = await setUp({ confirmAboveUsd: 0.1 });
    const session = await connectInProcess(s.runtime, {
      era: "modern",
      client: { capabilities: { elicitation: { form: {} } } },
    });
    defer(session.close);
    const asked: string[] = [];
    session.client.setRequestHandler("elicitation/create", async (request) => {
      asked.push(request.params.message);
      return { action: "decline" };
    });
    const result = await session.client.callTool({
      name: "generate_image",
      arguments: { prompt: "the agent says yes", quality: "high", size: "1024x1024", confirm_spend: true },
    });
    expect(asked).toHaveLength(1);
    expect(text(result as CallToolResult)).toMatch(/Not sent: you declined spending \$0\.21/);
    expect(p.calls).toBe(0);
  });
});

describe("every paid step reserves before it is sent", () => {
  it("sends exactly one request to a stalled upstream when the cap has room for 1.5 of them: the retry is refused", async () => {
    // The request is sent and never answered: its outcome is unknown, so it keeps its estimate in the ledger.
    const stalled = await scriptedProvider(() => {});
    const s = await connectTo(stalled.baseURL, { maxSpendUsd: 0.32, timeoutSeconds: 1, maxRetries: 2 });
    defer(stalled.close, s.close);
    const result = await s.generate({ prompt: "stalled", quality: "high" });
    expect(result.status).toBe("failed");
    expect(result.message).toMatch(/spend cap has no room for retry 1 \(about \$0\.21\), so retry 1 was not sent/);
    expect(stalled.calls).toBe(1);
    expect(result.retries).toHaveLength(1);
  });

  it.each([
    ["has no room for it", 0.5, 1, "failed"],
    ["has room for it", 1.5, 2, "completed"],
  ] as const)(
    "sends auto's master only when its reservation fits: the cap %s",
    async (_room, masters, calls, status) => {
      const master = await png(2560, 1440);
      // The native 3840x2160 request stalls (kept at its estimate); the master, if sent, is answered.
      const provider = await scriptedProvider((res, n) => {
        if (n === 0) return;
        res.writeHead(200, HEADERS(`req_${n}`));
        res.end(JSON.stringify({ created: 1, data: [{ b64_json: master.toString("base64") }] }));
      });
      const probe = await connectTo(provider.baseURL);
      const dry = await probe.generate({
        prompt: "auto",
        size: "3840x2160",
        quality: "high",
        strategy: "auto",
        dry_run: true,
      });
      await probe.close();
      const cost = (strategy: string) => dry.estimates?.find((e) => e.strategy === strategy)?.cost_estimate_usd ?? 0;
      const cap = cost("native") + masters * cost("master");
      const s = await connectTo(provider.baseURL, { maxSpendUsd: cap, timeoutSeconds: 1, maxRetries: 0 });
      defer(provider.close, s.close);
      const result = await s.generate({ prompt: "auto", size: "3840x2160", quality: "high", strategy: "auto" });
      expect(result.status).toBe(status);
      expect(provider.calls).toBe(calls);
      if (status === "failed") expect(result.message).toMatch(/spend cap has no room for the fallback/);
      else expect(result.decision).toMatch(/^fallback: native 3840x2160 failed/);
    },
  );

  it("costs nothing offline: a 4K image under a $0.01 cap completes with cost_usd 0 and enters no ledger", async () => {
    const parent = mkdtempSync(join(tmpdir(), "pixelwright-offline-"));
    const config = loadConfig({ env: { PIXELWRIGHT_WORKSPACE: parent, PIXELWRIGHT_MAX_SPEND_USD: "0.01" } });
    const runtime = await createRuntime(config, createLogger("silent"));
    const session = await connectInProcess(runtime);
    defer(session.close, () => runtime.close());
    const args = { prompt: "a free 4K poster", size: "3840x2160", quality: "high", return_image: "none" };
    for (const prompt of ["one", "two"]) {
      const result = await session.client.callTool({ name: "generate_image", arguments: { ...args, prompt } });
      expect(result.structuredContent).toMatchObject({
        status: "completed",
        cost_usd: 0,
        provider: "offline-simulator",
      });
    }
    expect(await runtime.book.spending(24 * 3600 * 1000)).toEqual([]);
  });
});
