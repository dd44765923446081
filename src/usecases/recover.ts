// A job of an earlier process (or one no longer in memory) is rebuilt from the workspace records: its line in
// jobs.jsonl (completed or failed), else the sidecar beside one of its images.

import type { GenerationResult } from "../contract/schemas.js";
import { JOB_ID } from "../jobs/ids.js";
import type { Workspace } from "../workspace/workspace.js";

const RECOVERED = "Recovered from the workspace records.";

export async function recoverJob(workspace: Workspace, jobId: string): Promise<GenerationResult | null> {
  if (!JOB_ID.test(jobId)) return null;
  const record = (await workspace.readJobRecords()).findLast((r) => r.job_id === jobId);
  if (record) return { ...record.result, caveats: [...record.result.caveats, RECOVERED] };
  // A record that cannot be read may be this job's: the job is reported unreadable, not unknown, unless found.
  let unreadable: unknown = null;
  for (const name of await workspace.listImages(5000)) {
    const path = await workspace.imagePath(name);
    if (!path) continue;
    const sidecar = await workspace.readSidecar(path).catch((err: unknown) => {
      unreadable ??= err;
      return null;
    });
    if (sidecar?.job_id === jobId) {
      return { ...sidecar.result, caveats: [...sidecar.result.caveats, RECOVERED] };
    }
  }
  if (unreadable) throw unreadable;
  return null;
}
