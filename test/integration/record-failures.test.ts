// The records of paid work: a record that cannot be written is logged at error level (the caller may have left and
// never read the caveat), and a record that exists but cannot be read is an error that says so, never "no record".
import { mkdirSync, renameSync, rmSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/client";
import { describe, expect, it, vi } from "vitest";
import { memoryLog } from "../helpers/memory-log.js";
import type { Connected } from "../helpers/scripted-provider.js";
import { HEADERS, okJson, png, scriptedSessions } from "../helpers/scripted-provider.js";

const sessions = scriptedSessions();
const text = (r: CallToolResult) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");

/** A session whose provider answers every request with one image; its log kept in memory. */
async function paidImage() {
  const image = await png();
  const log = memoryLog();
  const reply = (res: ServerResponse) => {
    res.writeHead(200, HEADERS("req_paid"));
    res.end(okJson(image));
  };
  const { s } = await sessions.setUp(reply, {}, log.logger);
  return { s, log };
}

const BREAKS: Array<[string, string, (s: Connected) => void]> = [
  [
    "sidecar",
    "a record of a saved image could not be written",
    (s) => {
      const full = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
      vi.spyOn(s.runtime.workspace, "writeSidecar").mockRejectedValue(full);
    },
  ],
  ["manifest", "a record of a saved image could not be written", (s) => mkdirSync(join(s.workspace, "manifest.jsonl"))],
  ["jobs.jsonl", "the job record (jobs.jsonl) could not be written", (s) => mkdirSync(join(s.workspace, "jobs.jsonl"))],
];

describe("a paid image whose record cannot be written", () => {
  it.each(BREAKS)("%s: logged at error level with the job and the error's class", async (_record, msg, breakIt) => {
    const { s, log } = await paidImage();
    breakIt(s);
    const result = await s.generate({ prompt: "a lighthouse" });
    expect(result.status).toBe("completed");
    expect(result.caveats.join(" ")).toMatch(/could not be written/);
    const line = log.lines().find((l) => l.msg === msg);
    expect(line).toMatchObject({ level: 50, job: result.job_id });
    expect((line?.err as { type?: string } | undefined)?.type).toMatch(/Error$/);
  });
});

describe("a record that exists but cannot be read", () => {
  it("jobs.jsonl: a failed paid job is reported unreadable, not unknown, by a later process", async () => {
    const { p, s } = await sessions.setUp(
      (res) => {
        res.writeHead(500, HEADERS("req_lost"));
        res.end(JSON.stringify({ error: { message: "server error", type: "server_error" } }));
      },
      { maxRetries: 0 },
    );
    const failed = await s.generate({ prompt: "a lighthouse" });
    expect(failed.status).toBe("failed");
    renameSync(join(s.workspace, "jobs.jsonl"), join(s.workspace, "jobs.jsonl.moved"));
    mkdirSync(join(s.workspace, "jobs.jsonl"));
    // A job the job book does not hold (from before it, or its book was removed): only jobs.jsonl knows it.
    rmSync(join(s.workspace, ".pixelwright"), { recursive: true, force: true });
    const later = await sessions.setUp(() => {}, { workspace: s.workspace });
    sessions.defer(async () => rmSync(join(s.workspace, "jobs.jsonl"), { recursive: true, force: true }));
    const answer = await later.s.call("verify_image", { job_id: failed.job_id });
    expect(answer.isError).toBe(true);
    expect(text(answer)).toMatch(/jobs\.jsonl holds the job records .* cannot be read \(EISDIR/);
    expect(text(answer)).not.toMatch(/is known/);
    expect(p.calls).toBe(1);
  });

  it("a sidecar: verify_image says the record cannot be read instead of 'no production record'", async () => {
    const { s } = await paidImage();
    const result = await s.generate({ prompt: "a lighthouse" });
    const saved = result.images[0]?.path as string;
    const sidecar = saved.replace(/\.png$/, ".json");
    rmSync(sidecar);
    mkdirSync(sidecar);
    const answer = await s.call("verify_image", { path: saved });
    expect(answer.isError).toBe(true);
    expect(text(answer)).toMatch(/holds the production record of .* but cannot be read/);
    expect(text(answer)).not.toMatch(/no production record/);
  });

  it("a missing sidecar is still just 'no production record'", async () => {
    const { s } = await paidImage();
    const result = await s.generate({ prompt: "a lighthouse" });
    const saved = result.images[0]?.path as string;
    rmSync(saved.replace(/\.png$/, ".json"));
    const answer = await s.call("verify_image", { path: saved });
    expect(answer.isError).toBeFalsy();
    expect(text(answer)).toMatch(/no production record beside the file/);
  });
});
