import { describe, expect, it } from "vitest";
import { REPLICA_LOST } from "../../src/jobs/cluster.js";
import { type StoredJob, sharedView } from "../../src/jobs/shared-view.js";

const stored = (over: Partial<StoredJob<string>> = {}): StoredJob<string> => ({
  id: "job_0123456789abcdef",
  data: { label: "rendering 1024x1024 low", typical: "usually 10-60 s" },
  timestamp: 1000,
  progress: 0,
  returnvalue: "result",
  ...over,
});

describe("a job stored in Redis as every replica reads it", () => {
  it("reads a stalled job (its replica stopped mid-request) as failed: replica lost; may have been billed", () => {
    const job = sharedView(
      stored({ failedReason: "job stalled more than allowable limit", finishedOn: 9000 }),
      "failed",
    );
    expect(job).toMatchObject({ status: "failed", lost: true, endReason: REPLICA_LOST, finishedAt: 9000 });
    expect(job.error?.message).toMatch(/^replica lost; may have been billed: .*not sent again/);
  });

  it("reads a job stopped on purpose as cancelled, with the reason", () => {
    const job = sharedView(stored({ failedReason: "cancelled: cancelled by the client" }), "failed");
    expect(job).toMatchObject({ status: "cancelled", lost: false, endReason: "cancelled by the client" });
  });

  it("reads waiting as queued and active as running, with the partial images so far", () => {
    expect(sharedView(stored(), "waiting")).toMatchObject({ status: "queued", finishedAt: null, result: null });
    const partial = { index: 0, path: "/w/a.partial-0.png" };
    const progress = { progress: 3, message: "partial image 1 of 2 received", partial, partials: [partial] };
    expect(sharedView(stored({ progress }), "active")).toMatchObject({ status: "running", partials: [partial] });
    expect(sharedView(stored(), "completed")).toMatchObject({ status: "completed", result: "result" });
  });
});
