// Issue 11: a paid image is never lost and never paid twice. One test per finding, each counting the upstream calls.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { costFromUsage } from "../../src/contract/cost.js";
import { lookupModel } from "../../src/contract/models.js";
import { HEADERS, okJson, png, scriptedSessions } from "../helpers/scripted-provider.js";
import { connectWithSimulator } from "../helpers/simulated.js";

const { setUp, defer } = scriptedSessions();
const ok = okJson;

describe("finding 3: a client that gives up once the request was sent", () => {
  it("detaches: the job finishes and the identical call collects it, one upstream call in all", async () => {
    const h = await connectWithSimulator({ timeoutSeconds: 30 });
    defer(h.close);
    h.sim.setLatency(1500);
    const args = { prompt: "client gives up first", return_image: "none", wait_seconds: 120 };
    // The SDK client sends notifications/cancelled when its own timeout fires or its caller aborts: here, the moment
    // the request has reached the provider (a job cancelled before that is dropped, unpaid: another finding).
    const gaveUp = new AbortController();
    const first = h.client.callTool({ name: "generate_image", arguments: args }, { signal: gaveUp.signal });
    await expect.poll(() => h.sim.stats.requests.length, { timeout: 30_000 }).toBe(1);
    gaveUp.abort("the client's own timeout");
    await expect(first).rejects.toThrow(/timeout|abort/i);
    const again = (await h.call("generate_image", args)).structuredContent as { status: string; reused_job: boolean };
    expect(again).toMatchObject({ status: "completed", reused_job: true });
    expect(h.sim.stats.imageRequests).toBe(1);
  });
});

describe("finding 5: a failure after the image was saved", () => {
  it("keeps and reports the saved file when measuring fails, and an identical retry pays nothing", async () => {
    // A PNG signature in front of garbage: it is saved (the bytes arrived, they were paid for), then measuring fails.
    const broken = Buffer.concat([Buffer.from("89504e470d0a1a0a", "hex"), Buffer.from("not really a png")]);
    const { p, s } = await setUp((res) => {
      res.writeHead(200, HEADERS("req_broken"));
      res.end(ok(broken));
    });
    const result = await s.generate({ prompt: "unmeasurable" });
    expect(result.status).toBe("completed");
    expect(result.images).toHaveLength(1);
    expect(result.images[0]?.verified).toBe(false);
    expect(result.images[0]?.mismatch).toMatch(/could not be measured/);
    expect(readFileSync(result.images[0]?.path as string)).toEqual(broken);
    const again = await s.generate({ prompt: "unmeasurable" });
    expect(again.reused_job).toBe(true);
    expect(p.calls).toBe(1);
  });

  it("keeps and reports the saved file when its sidecar cannot be written", async () => {
    const image = await png();
    const { p, s } = await setUp((res) => {
      res.writeHead(200, HEADERS("req_full"));
      res.end(ok(image));
    });
    s.runtime.workspace.writeSidecar = async () => {
      throw new Error("ENOSPC: no space left on device");
    };
    const result = await s.generate({ prompt: "disk full" });
    expect(result.status).toBe("completed");
    expect(result.images.map((i) => i.verified)).toEqual([true]);
    expect(result.caveats.join(" ")).toMatch(/record.*could not be written.*ENOSPC/);
    expect(s.files().filter((f) => f.endsWith(".png"))).toHaveLength(1);
    expect(readFileSync(join(s.workspace, "manifest.jsonl"), "utf8")).toContain(result.images[0]?.path as string);
    expect(p.calls).toBe(1);
  });
});

describe("finding 6: a failed job", () => {
  it("lists every attempt with its reason and request id, and writes a record", async () => {
    const { p, s } = await setUp((res, n) => {
      if (n === 0) {
        res.writeHead(200, HEADERS("req_cut"));
        res.end('{"data":[{"b64_json":"iVBORw0KGgo');
        return;
      }
      res.writeHead(500, HEADERS(`req_500_${n}`));
      res.end(JSON.stringify({ error: { message: "server error", type: "server_error" } }));
    });
    const result = await s.generate({ prompt: "fails three times" });
    expect(result.status).toBe("failed");
    expect(p.calls).toBe(3);
    expect(result.request_ids).toEqual(["req_cut", "req_500_1", "req_500_2"]);
    // A cut-off answer may have been billed; an answer with an HTTP error status is not (SPEC §9).
    expect(result.retries.map((r) => [r.request_id, r.may_have_been_billed])).toEqual([
      ["req_cut", true],
      ["req_500_1", false],
    ]);
    const ledger = readFileSync(join(s.workspace, "jobs.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(ledger).toMatchObject([{ job_id: result.job_id, status: "failed", attempts: 3 }]);
    expect(ledger[0].result.retries).toHaveLength(2);
  });
});

describe("finding 7: verify_image(job_id)", () => {
  it("measures the file every time: a deleted or overwritten file is not verified", async () => {
    const image = await png();
    const { s } = await setUp((res) => {
      res.writeHead(200, HEADERS("req_v"));
      res.end(ok(image));
    });
    const done = await s.generate({ prompt: "then tampered with" });
    const path = done.images[0]?.path as string;
    writeFileSync(path, await png(512, 512));
    const overwritten = await s.call("verify_image", { job_id: done.job_id, return_image: "none" });
    expect(overwritten.structuredContent).toMatchObject({
      status: "mismatch",
      images: [{ width: 512, verified: false }],
    });
    rmSync(path);
    const deleted = await s.call("verify_image", { job_id: done.job_id, return_image: "none" });
    expect(JSON.stringify(deleted)).toMatch(/no longer exists|missing/);
    expect((deleted.structuredContent as { status: string } | undefined)?.status).not.toBe("verified");
  });
});

describe("finding 10: cost", () => {
  it("is billed from the returned usage (cost_usd) beside the estimate", async () => {
    const image = await png();
    const usage = { input_tokens: 20, input_tokens_details: { text_tokens: 20, image_tokens: 0 }, output_tokens: 7024 };
    const { s } = await setUp((res) => {
      res.writeHead(200, HEADERS("req_cost"));
      res.end(ok(image, { usage }));
    });
    const result = (await s.generate({ prompt: "priced", quality: "high" })) as unknown as Record<string, unknown>;
    const found = lookupModel("gpt-image-2");
    if (found.kind !== "known" || found.spec.status !== "active") throw new Error("gpt-image-2 is a known model");
    expect(result.cost_usd).toBe(costFromUsage(found.spec, usage));
    expect(result.cost_estimate_usd).toBeGreaterThan(0);
  });
});

describe("finding 11: a gpt-image-2-pro tier above the pixel ceiling", () => {
  it("is sent with a caveat, and the measurement tells what came", async () => {
    const image = await png(2048, 1536);
    const { p, s } = await setUp((res) => {
      res.writeHead(200, HEADERS("req_tier"));
      res.end(ok(image));
    });
    const result = await s.generate({ prompt: "a pro tier", model: "gpt-image-2-pro", size: "4:3(4K)" });
    expect(p.calls).toBe(1);
    expect(result.status).toBe("completed");
    expect(result.caveats.join(" ")).toMatch(/4:3\(4K\).*gateway/);
    expect(result.images[0]).toMatchObject({ width: 2048, height: 1536, verified: false });
  });
});
