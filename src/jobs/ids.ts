// Job ids. A job id is also a task id and the handle verify_image collects with: whoever holds it may read the job,
// so it carries 128 random bits. Ids made before (64 bits, `job_` + 16 hex) stay valid wherever an id is parsed.

import { randomBytes } from "node:crypto";

export function newJobId(): string {
  return `job_${randomBytes(16).toString("hex")}`;
}

/** A job id of either length. */
export const JOB_ID = /^job_(?:[0-9a-f]{16}|[0-9a-f]{32})$/;
