// The job engine as the task book reads it (tasks.ts TaskJobs): state by id and "cancel if unsent", nothing more,
// so the shared job book can take the engine's place without the task layer changing.

import type { GenerationResult } from "../contract/schemas.js";
import type { JobRegistry } from "../jobs/registry.js";
import { progressMessage } from "../usecases/wait.js";
import type { TaskJobs } from "./tasks.js";

export function jobsForTasks(jobs: JobRegistry<GenerationResult>): TaskJobs {
  return {
    get(jobId) {
      const job = jobs.get(jobId);
      if (!job) return undefined;
      const running = job.status === "queued" || job.status === "running";
      const message = running
        ? progressMessage(job)
        : job.status === "completed"
          ? job.progress.message
          : (job.endReason ?? job.status);
      return { status: job.status, message, finishedAt: job.finishedAt };
    },
    cancelUnsent(jobId, reason) {
      const job = jobs.get(jobId);
      if (job && job.finishedAt === null && !job.sent && job.attachments <= 1) jobs.cancel(job, reason);
    },
    settled(jobId) {
      return jobs.get(jobId)?.settled;
    },
  };
}
