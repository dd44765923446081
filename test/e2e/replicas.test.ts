// Two `pixelwright http` replicas from dist on one shared workspace and one Redis, against one simulator whose
// upstream calls are counted: to a client they behave like one server.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import type { GenerationResult, JobRecord } from "../../src/contract/schemas.js";
import { type HttpServerProcess, httpClient, raw, spawnHttp } from "../helpers/http.js";
import { useReplicaPair } from "../helpers/replicas.js";
import { runCli } from "../helpers/spawn.js";

// No English word in the key: every 8+ character fragment of it is redacted from what the server says.
const KEY = "sk-rq7Zx0a1b2c3d4e5f6g7h8j9k0";
const pair = useReplicaPair(KEY);

async function generate(client: Client, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name: "generate_image", arguments: args }, undefined, {
    timeout: 120_000,
  })) as CallToolResult;
}

const result = (r: CallToolResult) => r.structuredContent as unknown as GenerationResult;
const text = (r: CallToolResult) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");

/** The job records in the shared workspace's jobs.jsonl (none before the first job ends). */
function jobRecords(): JobRecord[] {
  const file = join(pair.workspace, "jobs.jsonl");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as JobRecord);
}

async function health(server: HttpServerProcess): Promise<Record<string, unknown>> {
  const res = await raw(server.url.replace("/mcp", "/healthz"), { method: "GET" });
  return JSON.parse(res.body) as Record<string, unknown>;
}

/** Waits for an event seen by polling its state (expect.poll: retried until it holds, no fixed sleep). */
async function until(check: () => Promise<boolean> | boolean, what: string, ms = 30_000): Promise<void> {
  await expect.poll(check, { timeout: ms, message: `waiting for ${what}` }).toBe(true);
}

describe("two replicas on one Redis and one shared workspace", () => {
  it("reports Redis connectivity on /healthz, without the secret", async () => {
    const body = await health(pair.a);
    expect(body).toMatchObject({ ok: true, ready: true, redis: "connected" });
    expect(JSON.stringify(body)).not.toContain(KEY);
  });

  it("collects on replica B a job started on replica A", async () => {
    pair.sim.setLatency(1500);
    const started = result(await generate(pair.clientA, { prompt: "started on A", wait_seconds: 0.2 }));
    expect(started.status).toBe("running");
    const collected = (await pair.clientB.callTool(
      { name: "verify_image", arguments: { job_id: started.job_id, wait_seconds: 60 } },
      undefined,
      { timeout: 120_000 },
    )) as CallToolResult;
    expect(collected.structuredContent).toMatchObject({ status: "verified", images: [{ width: 1024, height: 1024 }] });
    const path = (collected.structuredContent as { images: { path: string }[] }).images[0]?.path as string;
    expect(existsSync(path)).toBe(true);
    expect(pair.sim.stats.imageRequests).toBe(1);
  });

  it("reuses the running job for an identical request on B while A runs it: one upstream call", async () => {
    pair.sim.setLatency(1500);
    const first = result(await generate(pair.clientA, { prompt: "asked twice", wait_seconds: 0.2 }));
    const second = result(await generate(pair.clientB, { prompt: "asked twice", wait_seconds: 60 }));
    expect(second).toMatchObject({ status: "completed", job_id: first.job_id, reused_job: true });
    expect(pair.sim.stats.imageRequests).toBe(1);
  });

  it("keeps 6 jobs on both replicas to the global limit of 2 upstream requests in flight", async () => {
    pair.sim.setLatency(600);
    const calls = [0, 1, 2, 3, 4, 5].map((i) =>
      generate(i % 2 ? pair.clientB : pair.clientA, { prompt: `fan ${i}`, wait_seconds: 120 }),
    );
    const results = (await Promise.all(calls)).map(result);
    expect(results.map((r) => r.status)).toEqual(Array(6).fill("completed"));
    expect(pair.sim.stats.imageRequests).toBe(6);
    expect(pair.sim.stats.maxInFlight).toBe(2);
    // Both replicas appended to one manifest: every line whole, one per image.
    const lines = readFileSync(join(pair.workspace, "manifest.jsonl"), "utf8").trim().split("\n");
    const ids = lines.map((line) => (JSON.parse(line) as { job_id: string }).job_id);
    for (const r of results) expect(ids).toContain(r.job_id);
  });

  it("answers busy while Redis is down, and works again when it is back", async () => {
    await pair.redis.stop();
    await until(async () => (await health(pair.a)).redis === "unreachable", "A to see Redis gone");
    const refused = await generate(pair.clientA, { prompt: "during the outage", wait_seconds: 5 });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(
      /Redis \(PIXELWRIGHT_REDIS_URL\) cannot be reached from this server.*nothing was sent.*Retry after 5 s/,
    );
    const notReady = await raw(pair.a.url.replace("/mcp", "/healthz?ready=1"), { method: "GET" });
    expect(notReady.status).toBe(503);
    expect(pair.sim.stats.imageRequests).toBe(0);

    await pair.redis.start();
    await until(async () => (await health(pair.a)).redis === "connected", "A to see Redis back");
    await until(async () => (await health(pair.b)).redis === "connected", "B to see Redis back");
    const after = result(await generate(pair.clientA, { prompt: "after the outage", wait_seconds: 60 }));
    expect(after.status).toBe("completed");
    expect(pair.sim.stats.imageRequests).toBe(1);
  }, 90_000);

  it("keeps a job that was in flight when Redis went away: its images are saved and collected from the workspace", async () => {
    pair.sim.setLatency(2500);
    const started = result(await generate(pair.clientA, { prompt: "in flight during the outage", wait_seconds: 0 }));
    await until(() => pair.sim.stats.inFlight === 1, "the request to be in flight");
    await pair.redis.stop();
    const waiting = await pair.clientA.callTool(
      { name: "verify_image", arguments: { job_id: started.job_id, wait_seconds: 5 } },
      undefined,
      { timeout: 60_000 },
    );
    // Said as it is: Redis cannot be reached; the job keeps running where it was sent (no promise about Redis's memory).
    expect(text(waiting as CallToolResult)).toMatch(
      /cannot be reached from this server.*keep running on their replicas/,
    );
    await until(
      () =>
        existsSync(pair.workspace) &&
        readFileSync(join(pair.workspace, "manifest.jsonl"), "utf8").includes(started.job_id as string),
      "the record in the workspace",
    );
    await pair.redis.start(); // empty: this Redis keeps nothing across a restart
    await until(async () => (await health(pair.b)).redis === "connected", "B to see Redis back");
    await until(async () => (await health(pair.a)).redis === "connected", "A to see Redis back");
    const collected = (await pair.clientB.callTool(
      { name: "verify_image", arguments: { job_id: started.job_id, wait_seconds: 30 } },
      undefined,
      { timeout: 60_000 },
    )) as CallToolResult;
    expect(collected.structuredContent).toMatchObject({ status: "verified", images: [{ width: 1024, height: 1024 }] });
    expect(pair.sim.stats.imageRequests).toBe(1);
  }, 90_000);

  it("on SIGTERM finishes the replica's running jobs and hands its queued ones to the other replica", async () => {
    pair.sim.setLatency(2500);
    for (const server of [pair.a, pair.b])
      await until(async () => (await health(server)).redis === "connected", "Redis");
    const started = [];
    for (const i of [1, 2, 3])
      started.push(result(await generate(pair.clientA, { prompt: `rolled ${i}`, wait_seconds: 0 })));
    await until(() => pair.sim.stats.inFlight === 2, "two requests in flight (the global limit), one queued");
    const [ra, rb] = (await Promise.all([health(pair.a), health(pair.b)])).map(
      (h) => (h.jobs as { running: number }).running,
    );
    const stopA = (ra as number) >= (rb as number);
    const [leaving, stays] = stopA ? [pair.a, pair.clientB] : [pair.b, pair.clientA];
    expect(Math.max(ra as number, rb as number)).toBeGreaterThan(0);
    expect(await leaving.stop()).toBe(0);

    for (const job of started) {
      const collected = (await stays.callTool(
        { name: "verify_image", arguments: { job_id: job.job_id, wait_seconds: 60 } },
        undefined,
        { timeout: 120_000 },
      )) as CallToolResult;
      expect(collected.structuredContent).toMatchObject({ status: "verified" });
    }
    expect(pair.sim.stats.imageRequests).toBe(3);

    // Put a replica back in its place for the next test.
    const replacement = await spawnHttp(pair.env());
    const client = await httpClient(replacement.url);
    if (stopA) [pair.a, pair.clientA] = [replacement, client];
    else [pair.b, pair.clientB] = [replacement, client];
  }, 90_000);

  it("fails the job of a replica killed mid-request as 'replica lost; may have been billed', never re-sent, with its failure, model, size asked and jobs.jsonl line", async () => {
    pair.sim.setLatency(5000);
    const started = result(await generate(pair.clientA, { prompt: "in flight when killed", wait_seconds: 0.2 }));
    await until(() => pair.sim.stats.inFlight === 1, "the request to be in flight");
    // Whichever replica is free takes the job: kill the one that runs it.
    const [ha, hb] = await Promise.all([health(pair.a), health(pair.b)]);
    const runsOnA = (ha.jobs as { running: number }).running === 1;
    const [victim, survivor] = runsOnA ? [pair.a, pair.clientB] : [pair.b, pair.clientA];
    expect((runsOnA ? hb : ha).jobs).toMatchObject({ running: 0 });
    const gone = new Promise((r) => victim.child.once("exit", r));
    victim.child.kill("SIGKILL");
    await gone;

    const collected = (await survivor.callTool(
      { name: "verify_image", arguments: { job_id: started.job_id, wait_seconds: 60 } },
      undefined,
      { timeout: 120_000 },
    )) as CallToolResult;
    expect(collected.structuredContent).toMatchObject({ status: "failed" });
    expect(text(collected)).toContain("worker was lost with the request in flight; may have been billed");
    // The structured result says what failed, with what was asked of which model.
    const model = pair.sim.stats.requests[0]?.model;
    expect(model).toMatch(/^gpt-image-/);
    const lost = result(collected);
    expect(lost.failure).toMatchObject({
      reason: expect.stringContaining("worker was lost"),
      may_have_been_billed: true,
    });
    expect(lost.model).toBe(model);
    expect(lost.requested.size).not.toBe("");
    // It has its jobs.jsonl line in the shared workspace: the spend cap of a later process counts it.
    const recorded = () => jobRecords().find((r) => r.job_id === started.job_id);
    await expect.poll(recorded, { timeout: 30_000 }).toBeDefined();
    const line = recorded();
    expect(line).toMatchObject({ status: "failed", model, may_have_been_billed: 1 });
    expect(line?.result.failure).toMatchObject({ may_have_been_billed: true });
    expect(line?.result.requested.size).toBe(lost.requested.size);
    // Never re-sent: once the job has failed, the surviving replica runs nothing and has nothing in flight.
    expect((await health(runsOnA ? pair.b : pair.a)).jobs).toMatchObject({ running: 0, upstream_in_flight: 0 });
    expect(pair.sim.stats.imageRequests).toBe(1);
  }, 90_000);
});

describe("a replica that cannot reach Redis at start", () => {
  it("refuses to start with a clear error and the password redacted", async () => {
    const password = "redis-pass-do-not-leak";
    const { code, stderr } = await runCli(["http", "--port", "0"], {
      PIXELWRIGHT_WORKSPACE: pair.workspace,
      PIXELWRIGHT_REDIS_URL: `redis://user:${password}@127.0.0.1:1`,
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/cannot reach Redis at redis:\/\/user:\[redacted\]@127\.0\.0\.1:1/);
    expect(stderr).not.toContain(password);
  });
});
