// The job book as the task book reads it (tasks.ts TaskJobs): state by id, "cancel if unsent", and the end of a
// job wherever it runs — so any process, or any replica, answers for any task.

import type { ImageService } from "../usecases/service.js";
import { progressMessage } from "../usecases/wait.js";
import type { TaskJobs } from "./tasks.js";

export function jobsForTasks(images: ImageService): TaskJobs {
  return {
    async get(jobId) {
      const job = await images.jobState(jobId);
      if (!job) return undefined;
      const running = job.status === "queued" || job.status === "running";
      const message = running
        ? progressMessage(job)
        : job.status === "completed"
          ? job.progress.message
          : job.lost
            ? "its worker was lost with the request in flight; may have been billed"
            : (job.endReason ?? job.status);
      const kind = (job.payload as { kind?: unknown } | null)?.kind;
      return {
        kind: typeof kind === "string" ? kind : null,
        createdAt: job.createdAt,
        status: job.status,
        message,
        finishedAt: job.finishedAt,
      };
    },
    cancelUnsent: (jobId, reason) => images.cancelUnsent(jobId, reason),
    settled: (jobId) => images.jobEnded(jobId),
  };
}
