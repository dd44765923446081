// generate_batch through the real MCP client, the server's real openai SDK and the simulator's Files and Batch APIs:
// every item checked like a single call before anything is sent, the batch sent once at the Batch price, collected
// by verify_image(job_id) — every image saved, measured, verified and recorded — and never collected twice.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/client";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { BatchResult, JobRecord, SidecarRecord, VerifyResult } from "../../src/contract/schemas.js";
import { SPEND_WINDOW_MS } from "../../src/contract/spend.js";
import { connectWithSimulator, type SimHarness, textOf } from "../helpers/simulated.js";

let h: SimHarness;
beforeAll(async () => {
  h = await connectWithSimulator();
});
afterAll(async () => h.close());
beforeEach(() => h.sim.reset());

const asBatch = (r: CallToolResult) => r.structuredContent as unknown as BatchResult;
const asVerify = (r: CallToolResult) =>
  r.structuredContent as unknown as VerifyResult & { batch: BatchResult["batch"] };
/** The requests that reached the simulator, as "METHOD-less" paths with the batch and file ids taken out. */
const paths = (sim = h.sim) => sim.stats.requests.map((r) => r.path.replace(/(batch|file)[-_][0-9a-f]+/, "$1"));
const sidecarOf = (path: string) =>
  JSON.parse(readFileSync(path.replace(/\.(png|jpg)$/, ".json"), "utf8")) as SidecarRecord;
const jobRecords = (workspace = h.workspace) =>
  readFileSync(join(workspace, "jobs.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as JobRecord);

const THREE = [
  { prompt: "a lighthouse at dawn", size: "1536x1024", quality: "high" },
  { prompt: "a lighthouse at noon", size: "1024x1024", quality: "medium", output_format: "jpeg" },
  { prompt: "a lighthouse at night", size: "1024x1536", quality: "low", filename: "night" },
];

async function send(items: Record<string, unknown>[], extra: Record<string, unknown> = {}): Promise<BatchResult> {
  const result = await h.call("generate_batch", { items, ...extra });
  expect(result.isError, textOf(result)).toBeFalsy();
  return asBatch(result);
}

const collect = async (jobId: string, waitSeconds = 30) =>
  asVerify(await h.call("verify_image", { job_id: jobId, wait_seconds: waitSeconds, return_image: "none" }));

/** What a single generate_image call of the same item is estimated at (list price). */
async function listEstimate(item: Record<string, unknown>): Promise<number> {
  const dry = await h.call("generate_image", { ...item, dry_run: true });
  return (dry.structuredContent as { cost_estimate_usd: number }).cost_estimate_usd;
}

describe("a 3-item batch", () => {
  it("answers running with a job_id at once, and verify_image collects every image verified and recorded at the batch price", async () => {
    const started = await send(THREE);
    expect(started).toMatchObject({ status: "running", batch: { counts: { total: 3, pending: 3 } } });
    expect(started.job_id).toMatch(/^job_/);
    expect(started.next).toContain(`verify_image with job_id "${started.job_id}"`);

    const collected = await collect(started.job_id as string);
    expect(collected).toMatchObject({
      status: "verified",
      job_status: "completed",
      batch: { batch_status: "completed", counts: { total: 3, completed: 3, failed: 0, pending: 0 } },
    });
    expect(collected.images.map((i) => [i.width, i.height, i.format, i.verified])).toEqual([
      [1536, 1024, "png", true],
      [1024, 1024, "jpeg", true],
      [1024, 1536, "png", true],
    ]);
    // The batch price: each item at half of what the same generate_image call is estimated and billed at.
    for (const [i, item] of THREE.entries()) {
      const batchItem = collected.batch.items[i];
      const half = Math.round((await listEstimate(item)) * 5000) / 10_000;
      expect(batchItem?.cost_estimate_usd).toBeCloseTo(half, 4);
      expect(batchItem?.cost_usd).toBeCloseTo(half, 4);
      const record = sidecarOf(String(batchItem?.images[0]));
      expect(record).toMatchObject({ job_id: started.job_id, cost_usd: batchItem?.cost_usd, verified: true });
      expect(record.billing_route).toContain("/v1/batches");
    }
    const total = collected.batch.items.reduce((sum, i) => sum + (i.cost_usd ?? 0), 0);
    expect(collected.cost_usd).toBeCloseTo(total, 4);
    const line = jobRecords().findLast((r) => r.job_id === started.job_id);
    expect(line).toMatchObject({
      status: "completed",
      cost_usd: collected.cost_usd,
      batch: { counts: { completed: 3 } },
    });
    expect(line?.files).toHaveLength(3);
    expect(collected.images[2]?.path).toMatch(/-night-[0-9a-f]{6}-3\.png$/);
  });

  it("sends one JSONL file of Images API requests and one batch on the 24 h window, through the real SDK", async () => {
    const started = await send(THREE.map((i) => ({ ...i, prompt: `${i.prompt}, once` })));
    const collected = await collect(started.job_id as string);
    expect(paths().filter((p) => !p.startsWith("/v1/files/file/content"))).toEqual([
      "/v1/files",
      "/v1/batches",
      "/v1/batches/batch",
    ]);
    const sdk = new OpenAI({ apiKey: "test-key", baseURL: h.sim.baseURL });
    const batch = await sdk.batches.retrieve(collected.batch.batch_id as string);
    expect(batch).toMatchObject({
      endpoint: "/v1/images/generations",
      completion_window: "24h",
      metadata: { pixelwright_job: started.job_id },
    });
    const lines = (await (await sdk.files.content(batch.input_file_id)).text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.custom_id, l.method, l.url, l.body.size])).toEqual([
      ["item-0", "POST", "/v1/images/generations", "1536x1024"],
      ["item-1", "POST", "/v1/images/generations", "1024x1024"],
      ["item-2", "POST", "/v1/images/generations", "1024x1536"],
    ]);
  });

  it("is collected once: verify_image again reports the same saved files without reading the batch again", async () => {
    const started = await send([{ prompt: "collected once", size: "1024x1024" }]);
    const first = await collect(started.job_id as string);
    const before = h.sim.stats.requests.length;
    const files = h.files().sort();
    const again = await collect(started.job_id as string);
    expect(again.images.map((i) => [i.path, i.sha256, i.verified])).toEqual(
      first.images.map((i) => [i.path, i.sha256, true]),
    );
    expect(h.sim.stats.requests.length).toBe(before);
    expect(h.files().sort()).toEqual(files);
    expect(jobRecords().filter((r) => r.job_id === started.job_id)).toHaveLength(1);
  });
});

describe("a batch that ends badly", () => {
  it("partly failed: the delivered items are verified and billed, the failed one says why and costs nothing", async () => {
    h.sim.enqueueBatchFaults("batch_partial");
    const started = await send(THREE.map((i) => ({ ...i, prompt: `${i.prompt}, partly` })));
    const collected = await collect(started.job_id as string);
    expect(collected).toMatchObject({
      status: "verified",
      job_status: "completed",
      batch: { counts: { completed: 2, failed: 1, pending: 0 } },
    });
    expect(collected.images).toHaveLength(2);
    const failed = collected.batch.items[2];
    expect(failed).toMatchObject({ status: "failed", images: [], error: { code: "moderation_blocked" } });
    expect(failed?.cost_usd ?? null).toBeNull();
    expect(failed?.caveats.join(" ")).toMatch(/safety system/);
    const billed = (collected.batch.items[0]?.cost_usd ?? 0) + (collected.batch.items[1]?.cost_usd ?? 0);
    expect(collected.cost_usd).toBeCloseTo(billed, 4);
    expect(collected.next).toMatch(/Item\(s\) 2 failed/);
    expect(textOf(await h.call("verify_image", { job_id: started.job_id, return_image: "none" }))).toMatch(
      /2 of 3 item\(s\) delivered.*1 failed: item 2 \(Your request was rejected/,
    );
  });

  it.each([
    ["expired", "batch_expired"],
    ["cancelled", "batch_cancelled"],
  ] as const)(
    "%s: the answered half is kept, the rest is reported unanswered and not billed",
    async (status, fault) => {
      h.sim.enqueueBatchFaults(fault);
      const items = [
        { prompt: `answered before the batch ${status}`, size: "1024x1024" },
        { prompt: `never answered: the batch ${status}`, size: "1024x1024" },
      ];
      const collected = await collect((await send(items)).job_id as string);
      expect(collected).toMatchObject({
        status: "verified",
        job_status: "completed",
        batch: { batch_status: status, counts: { completed: 1, failed: 1 } },
      });
      expect(collected.batch.items[1]).toMatchObject({ status: "failed", error: { code: fault } });
      expect(collected.message).toMatch(new RegExp(`batch ${status} after answering 1 of 2.*not billed`));
      expect(collected.cost_usd).toBe(collected.batch.items[0]?.cost_usd);
    },
  );

  it("cancelled through the SDK while it runs: nothing was answered, the batch failed and its reservation is freed", async () => {
    const capped = await connectWithSimulator({ maxSpendUsd: 5 });
    try {
      capped.sim.enqueueBatchFaults("batch_running");
      const started = asBatch(await capped.call("generate_batch", { items: [{ prompt: "to be cancelled" }] }));
      await capped.runtime.images.jobEnded(started.job_id as string);
      const running = asVerify(
        await capped.call("verify_image", { job_id: started.job_id, wait_seconds: 0, return_image: "none" }),
      );
      expect(running).toMatchObject({ status: "running", batch: { batch_status: "in_progress" } });
      expect((await capped.runtime.book.spending(SPEND_WINDOW_MS)).length).toBe(1);
      const sdk = new OpenAI({ apiKey: "test-key", baseURL: capped.sim.baseURL });
      await sdk.batches.cancel(running.batch.batch_id as string);
      const ended = asVerify(
        await capped.call("verify_image", { job_id: started.job_id, wait_seconds: 30, return_image: "none" }),
      );
      expect(ended).toMatchObject({
        status: "failed",
        job_status: "failed",
        images: [],
        batch: { batch_status: "cancelled", items: [{ status: "failed", error: { code: "batch_cancelled" } }] },
      });
      expect(ended.message).toMatch(/cancelled after answering 0 of 1.*not billed/);
      expect(await capped.runtime.book.spending(SPEND_WINDOW_MS)).toEqual([]);
    } finally {
      await capped.close();
    }
  });

  it("refused as a whole by the Batch API: every item says so, nothing is billed", async () => {
    h.sim.enqueueBatchFaults("batch_failed");
    const collected = await collect((await send([{ prompt: "a refused batch" }])).job_id as string);
    expect(collected).toMatchObject({
      status: "failed",
      job_status: "failed",
      batch: { batch_status: "failed", items: [{ status: "failed", error: { code: "batch_failed" } }] },
    });
    expect(collected.message).toMatch(/refused the batch.*nothing was billed/);
  });
});

describe("a batch still in progress", () => {
  it("is reported running (with the batch's own status) until it ends; then it is collected", async () => {
    h.sim.enqueueBatchFaults("batch_running");
    const started = await send([{ prompt: "takes its time", size: "1024x1024" }]);
    // The batch job ends once the batch is created; the batch itself runs on.
    await h.runtime.images.jobEnded(started.job_id as string);
    const running = await collect(started.job_id as string, 0);
    expect(running).toMatchObject({
      status: "running",
      job_status: "running",
      images: [],
      batch: { batch_status: "in_progress", counts: { pending: 1 } },
    });
    expect(running.next).toContain(`verify_image with job_id "${started.job_id}"`);
    expect(h.files().filter((f) => f.includes((started.job_id as string).slice(-6)))).toEqual([]);
    h.sim.releaseBatches();
    const collected = await collect(started.job_id as string);
    expect(collected).toMatchObject({ status: "verified", batch: { batch_status: "completed" } });
    expect(paths().filter((p) => p === "/v1/batches")).toHaveLength(1);
  });
});

describe("identical requests", () => {
  it("an identical batch request returns the existing job: one batch; fresh: true sends a new one", async () => {
    h.sim.enqueueBatchFaults("batch_running");
    const items = [
      { prompt: "asked twice", size: "1024x1024" },
      { prompt: "asked twice too", quality: "low" },
    ];
    const first = await send(items);
    const again = await send(items);
    expect(again.job_id).toBe(first.job_id);
    expect(again.reused_job).toBe(true);
    expect(again.caveats.join(" ")).toMatch(/nothing was paid twice.*fresh: true/);
    const fresh = await send(items, { fresh: true });
    expect(fresh.job_id).not.toBe(first.job_id);
    await collect(fresh.job_id as string);
    expect(paths().filter((p) => p === "/v1/batches")).toHaveLength(2);
    h.sim.releaseBatches();
  });
});

describe("before anything is sent", () => {
  it("dry_run estimates each item and the total at the batch price, and sends nothing", async () => {
    const items = [
      { prompt: "estimated", size: "3840x2160", quality: "high" },
      { prompt: "estimated too", size: "1024x1024", quality: "low", n: 2 },
    ];
    const dry = await send(items, { dry_run: true });
    expect(dry).toMatchObject({ status: "completed", dry_run: true, batch: { counts: { total: 2 } } });
    expect(dry.job_id).toBeUndefined();
    for (const [i, item] of items.entries()) {
      expect(dry.batch.items[i]?.cost_estimate_usd).toBeCloseTo((await listEstimate(item)) / 2, 4);
      expect(dry.batch.items[i]?.caveats.join(" ")).toMatch(/Cost basis: Batch API price, 50% of the list price/);
    }
    expect(dry.cost_estimate_usd).toBeCloseTo(
      (dry.batch.items[0]?.cost_estimate_usd ?? 0) + (dry.batch.items[1]?.cost_estimate_usd ?? 0),
      4,
    );
    expect(h.sim.stats.requests).toEqual([]);
  });

  it.each([
    ["a size no model makes", { prompt: "bad", size: "1000x1000" }, /items\[1\]: .*(16|size)/],
    ["a retired model", { prompt: "old", model: "dall-e-3" }, /items\[1\]: model dall-e-3 was shut down/],
    [
      "a reference image",
      { prompt: "edit", reference_images: ["/tmp/x.png"] },
      /items\[1\]: reference_images.*generate_image/,
    ],
    ["partial images", { prompt: "stream", partial_images: 2 }, /items\[1\]: partial_images/],
    ["an argument of the call, not of an item", { prompt: "wait", wait_seconds: 5 }, /wait_seconds.*items\.1/],
  ])("refuses the whole batch for an item with %s: zero upstream requests", async (_what, bad, message) => {
    const result = await h.call("generate_batch", { items: [{ prompt: "a fine item" }, bad] });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(message);
    expect(h.sim.stats.requests).toEqual([]);
  });

  it("under a spend cap, a batch that does not fit sends nothing; a sent batch holds its estimate until collected", async () => {
    // One high 1024x1024 item is about $0.105 at the batch price: one fits under $0.15, two do not.
    const capped = await connectWithSimulator({ maxSpendUsd: 0.15 });
    try {
      const high = (prompt: string) => ({ items: [{ prompt, size: "1024x1024", quality: "high" }] });
      const tooBig = await capped.call("generate_batch", {
        items: [1, 2].map((n) => ({ prompt: `too big ${n}`, size: "1024x1024", quality: "high" })),
      });
      expect(tooBig.isError).toBe(true);
      expect(textOf(tooBig)).toMatch(/remaining.*nothing was sent/);
      expect(capped.sim.stats.requests).toEqual([]);

      capped.sim.enqueueBatchFaults("batch_running");
      const first = asBatch(await capped.call("generate_batch", high("fits")));
      expect(first.status).toBe("running");
      await capped.runtime.images.jobEnded(first.job_id as string);
      const sent = capped.sim.stats.requests.length;
      const second = await capped.call("generate_batch", high("would pass the cap with the first one reserved"));
      expect(second.isError).toBe(true);
      expect(capped.sim.stats.requests.length).toBe(sent);

      capped.sim.releaseBatches();
      const collected = asVerify(
        await capped.call("verify_image", { job_id: first.job_id, wait_seconds: 30, return_image: "none" }),
      );
      const spending = await capped.runtime.book.spending(SPEND_WINDOW_MS);
      expect(spending.map((s) => s.usd)).toEqual([collected.cost_usd]);
    } finally {
      await capped.close();
    }
  });
});
