// After a restart, a finished job's result is rebuilt from the production records in the workspace.

import type { GenerationResult } from "../contract/schemas.js";
import type { Workspace } from "../workspace/workspace.js";

const JOB_ID = /^job_[0-9a-f]{16}$/;

export async function recoverJob(workspace: Workspace, jobId: string): Promise<GenerationResult | null> {
  if (!JOB_ID.test(jobId)) return null;
  for (const name of await workspace.listImages(5000)) {
    const path = await workspace.imagePath(name);
    if (!path) continue;
    const record = await workspace.readSidecar(path);
    if (record?.job_id === jobId) {
      return { ...record.result, caveats: [...record.result.caveats, "Recovered from the workspace records."] };
    }
  }
  return null;
}
