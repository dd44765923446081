// A replica operator's bad day, with two `pixelwright http` replicas from dist on one Redis and one shared workspace:
// a replica frozen longer than its lease, a replica stopped while others wait on it, a job tampered with in Redis, a
// Redis that is slow, and Redis settings that cannot work. Every message says what is true, and nothing is paid twice.

import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { type CallToolResult, CallToolResultSchema, CreateTaskResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { Redis } from "ioredis";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import type { GenerationResult } from "../../src/contract/schemas.js";
import { connectRedisBook } from "../../src/jobs/redis.js";
import { createLogger } from "../../src/log.js";
import { poolOf } from "../../src/runtime.js";
import { type HttpServerProcess, httpClient, raw, spawnHttp } from "../helpers/http.js";
import { startRedis } from "../helpers/redis.js";
import { useReplicaPair } from "../helpers/replicas.js";
import { runCli, tempWorkspace } from "../helpers/spawn.js";

// No English word in the key: every 8+ character fragment of it is redacted from what the server says.
const KEY = "sk-Bd7Qw2x9Zr4Lm1Kp8Vt3Ny6";
const pair = useReplicaPair(KEY);

const result = (r: CallToolResult) => r.structuredContent as unknown as GenerationResult & { job_id: string };
const text = (r: CallToolResult) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 })) as CallToolResult;
}

async function running(server: HttpServerProcess): Promise<number> {
  const res = await raw(server.url.replace("/mcp", "/healthz"), { method: "GET" });
  return (JSON.parse(res.body) as { jobs: { running: number } }).jobs.running;
}

/** The replica that runs the one job in flight, and the other one. */
async function whoRuns(): Promise<{ runner: HttpServerProcess; other: HttpServerProcess; otherClient: Client }> {
  await expect.poll(async () => (await running(pair.a)) + (await running(pair.b)), { timeout: 30_000 }).toBe(1);
  const onA = (await running(pair.a)) === 1;
  return onA
    ? { runner: pair.a, other: pair.b, otherClient: pair.clientB }
    : { runner: pair.b, other: pair.a, otherClient: pair.clientA };
}

describe("a replica frozen longer than its lease", () => {
  it("leaves the job lost meanwhile, then completed by its late finish: verify_image and the identical request give the image, one upstream call", async () => {
    pair.sim.setLatency(2000);
    const args = { prompt: "frozen mid-request", return_image: "none" };
    const started = result(await call(pair.clientA, "generate_image", { ...args, wait_seconds: 0 }));
    await expect.poll(() => pair.sim.stats.inFlight, { timeout: 30_000 }).toBe(1);
    const { runner, otherClient } = await whoRuns();
    runner.child.kill("SIGSTOP");
    try {
      // The other replica declares it lost once the 6 s lease lapses (the frozen one cannot renew it).
      await expect
        .poll(async () => text(await call(otherClient, "verify_image", { job_id: started.job_id, wait_seconds: 0 })), {
          timeout: 60_000,
        })
        .toMatch(/lost with the request in flight; may have been billed/);
    } finally {
      runner.child.kill("SIGCONT");
    }
    // Thawed, the replica reads the answer that arrived meanwhile, saves the image, and its completion wins.
    await expect
      .poll(async () => (await call(otherClient, "verify_image", { job_id: started.job_id })).structuredContent, {
        timeout: 60_000,
      })
      .toMatchObject({ status: "verified", job_status: "completed" });
    const again = result(await call(otherClient, "generate_image", { ...args, wait_seconds: 30 }));
    expect(again).toMatchObject({ status: "completed", job_id: started.job_id, reused_job: true });
    expect(pair.sim.stats.imageRequests).toBe(1);
  }, 120_000);
});

describe("a job tampered with in Redis", () => {
  async function submitTampered(payload: unknown): Promise<string> {
    const config = loadConfig({ env: pair.env() });
    const book = await connectRedisBook({ url: pair.redis.url, logger: createLogger("silent") });
    try {
      const outcome = await book.submit({
        key: null,
        pool: poolOf(config),
        about: { label: "tampered", typical: "-" },
        payload,
        request: null,
        reuseWindowMs: 0,
      });
      if (!("job" in outcome)) throw new Error("busy");
      return outcome.job.id;
    } finally {
      await book.close();
    }
  }

  it("never widens what a replica reads: a queued job naming a file outside the workspace sends nothing", async () => {
    const outside = mkdtempSync(join(tmpdir(), "pixelwright-outside-"));
    const secret = join(outside, "secret.png");
    await sharp({ create: { width: 1024, height: 1024, channels: 3, background: "#f00" } })
      .png()
      .toFile(secret);
    copyFileSync(secret, join(outside, "copy.png"));
    const jobId = await submitTampered({
      kind: "generate",
      args: { prompt: "exfiltrate", reference_images: [secret] },
      filename: null,
      strategy: "native",
      warmPreview: false,
      staged: null,
      admitted: [],
      edit: null,
      // What an attacker would add: fields that grant reads. A replica reads its own configuration, never these.
      workspaceOnly: { clientRoots: ["/"] },
      readRoots: ["/"],
    });
    const collected = await call(pair.clientB, "verify_image", { job_id: jobId, wait_seconds: 30 });
    expect(collected.structuredContent).toMatchObject({ status: "failed" });
    expect(text(collected)).toMatch(/is outside the folders this server may read/);
    expect(pair.sim.stats.imageRequests).toBe(0);
  });

  it("refuses a payload that does not parse, sending nothing", async () => {
    const jobId = await submitTampered({ kind: "generate", args: { prompt: 42 } });
    const collected = await call(pair.clientA, "verify_image", { job_id: jobId, wait_seconds: 30 });
    expect(collected.structuredContent).toMatchObject({ status: "failed" });
    expect(text(collected)).toMatch(/nothing was sent/);
    expect(pair.sim.stats.imageRequests).toBe(0);
  });
});

describe("what a replica says when Redis misbehaves", () => {
  it("says Redis is slow, not unreachable, when it is up but does not answer within 5 s", async () => {
    const admin = new Redis(pair.redis.url);
    try {
      // Redis stays up and connected, but answers no other client for 7 s (in effect once it says OK).
      await admin.call("CLIENT", "PAUSE", "7000", "ALL");
      const refused = await call(pair.clientA, "generate_image", { prompt: "while Redis sleeps", wait_seconds: 0 });
      expect(refused.isError).toBe(true);
      expect(text(refused)).toMatch(/is connected but did not answer within 5 s.*Nothing was sent/);
      expect(text(refused)).not.toMatch(/unreachable|cannot be reached/);
    } finally {
      await admin.call("CLIENT", "UNPAUSE").catch(() => {});
      admin.disconnect();
    }
    expect(pair.sim.stats.imageRequests).toBe(0);
  });

  it("answers a call waiting on a replica that is stopped with its job as it is (running elsewhere), not an error", async () => {
    pair.sim.setLatency(3000);
    const started = result(
      await call(pair.clientA, "generate_image", { prompt: "runs on, elsewhere", wait_seconds: 0 }),
    );
    await expect.poll(() => pair.sim.stats.inFlight, { timeout: 30_000 }).toBe(1);
    const { runner, other, otherClient } = await whoRuns();
    // A client waits on the replica that does not run the job (its first progress says the wait began); that
    // replica is stopped.
    let began: () => void = () => {};
    const waitBegan = new Promise<void>((resolve) => {
      began = resolve;
    });
    const waiting = otherClient.callTool(
      { name: "verify_image", arguments: { job_id: started.job_id, wait_seconds: 60 } },
      undefined,
      { timeout: 120_000, onprogress: () => began() },
    ) as Promise<CallToolResult>;
    await waitBegan;
    expect(await other.stop()).toBe(0);
    const answer = await waiting;
    expect(answer.isError).not.toBe(true);
    expect(answer.structuredContent).toMatchObject({ job_status: "running", job_id: started.job_id });
    const survivor = runner === pair.a ? pair.clientA : pair.clientB;
    const collected = await call(survivor, "verify_image", { job_id: started.job_id, wait_seconds: 60 });
    expect(collected.structuredContent).toMatchObject({ status: "verified" });
    expect(pair.sim.stats.imageRequests).toBe(1);
    // Put the stopped replica back for the next tests.
    const replacement = await spawnHttp(pair.env());
    const client = await httpClient(replacement.url);
    if (other === pair.a) [pair.a, pair.clientA] = [replacement, client];
    else [pair.b, pair.clientB] = [replacement, client];
  }, 120_000);
});

describe("Redis settings that cannot work", () => {
  it("refuses to start with a wrong password, saying Redis refused it, the password redacted", async () => {
    const guarded = await startRedis({ password: "right-pass-0123456789" });
    try {
      const wrong = guarded.url.replace("right-pass-0123456789", "wrong-pass-9876543210");
      const { code, stderr } = await runCli(["http", "--port", "0"], {
        PIXELWRIGHT_WORKSPACE: tempWorkspace(),
        PIXELWRIGHT_REDIS_URL: wrong,
      });
      expect(code).toBe(2);
      expect(stderr).toMatch(
        /Redis at redis:\/\/:\[redacted\]@127\.0\.0\.1:\d+ \(PIXELWRIGHT_REDIS_URL\) refused this server: WRONGPASS/,
      );
      expect(stderr).not.toContain("wrong-pass-9876543210");
    } finally {
      await guarded.close();
    }
  });

  it("refuses to start, and exits, with a database index Redis does not have", async () => {
    const { code, stderr } = await runCli(["http", "--port", "0"], {
      PIXELWRIGHT_WORKSPACE: tempWorkspace(),
      PIXELWRIGHT_REDIS_URL: `${pair.redis.url}/999`,
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/refused this server: .*DB index is out of range/);
    expect(stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("the spend cap across replicas", () => {
  it("lets 6 concurrent calls on 2 replicas send at most 3 requests under a cap with room for 3", async () => {
    pair.sim.setLatency(300);
    const args = { size: "1024x1024", quality: "low", return_image: "none" };
    const dry = result(await call(pair.clientA, "generate_image", { ...args, prompt: "p", dry_run: true }));
    const estimate = dry.cost_estimate_usd as number;
    // Their own workspace and Redis database: a ledger of their own, room for three calls and a half.
    const capped = pair.env({
      PIXELWRIGHT_WORKSPACE: tempWorkspace(),
      PIXELWRIGHT_REDIS_URL: `${pair.redis.url}/1`,
      PIXELWRIGHT_MAX_SPEND_USD: String(estimate * 3.5),
    });
    const [c, d] = await Promise.all([spawnHttp(capped), spawnHttp(capped)]);
    const [clientC, clientD] = await Promise.all([httpClient(c.url), httpClient(d.url)]);
    try {
      const calls = Array.from({ length: 6 }, (_, i) =>
        call(i % 2 ? clientC : clientD, "generate_image", { ...args, prompt: `picture ${i}`, wait_seconds: 60 }),
      );
      const results = await Promise.all(calls);
      expect(results.filter((r) => result(r)?.status === "completed")).toHaveLength(3);
      for (const r of results.filter((x) => x.isError)) expect(text(r)).toMatch(/PIXELWRIGHT_MAX_SPEND_USD allows/);
      expect(pair.sim.stats.imageRequests).toBe(3);
    } finally {
      await Promise.allSettled([clientC.close(), clientD.close()]);
      await Promise.allSettled([c.stop(), d.stop()]);
    }
  }, 90_000);
});

describe("tasks on replicas", () => {
  it("answers tasks/get and tasks/result on replica B for a task created on replica A", async () => {
    pair.sim.setLatency(1500);
    const { task } = await pair.clientA.request(
      {
        method: "tools/call",
        params: { name: "generate_image", arguments: { prompt: "a task for any replica" }, task: {} },
      },
      CreateTaskResultSchema,
    );
    expect(task.status).toBe("working");
    expect((await pair.clientB.experimental.tasks.getTask(task.taskId)).status).toMatch(/working|completed/);
    const answer = (await pair.clientB.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema, {
      timeout: 60_000,
    })) as CallToolResult;
    expect(answer.structuredContent).toMatchObject({ status: "completed", job_id: task.taskId });
    expect(pair.sim.stats.imageRequests).toBe(1);
  }, 90_000);
});
