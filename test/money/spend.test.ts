// Spend controls: the rolling 24 h cap refuses locally (zero upstream calls) in a sentence with spent, remaining and
// when room frees up; above the confirmation threshold the person is asked through MCP elicitation, or told how to
// proceed when the client cannot ask.

import type { CallToolResult } from "@modelcontextprotocol/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { connectInProcess } from "../../src/cli/call.js";
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
    expect(dry.caveats.join(" ")).toMatch(/\$0\.40 spent, \$0\.10 remaining.*nothing was sent/);
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
