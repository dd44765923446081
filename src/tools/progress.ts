// Progress notifications for one tool call: only when the caller sent a progressToken, and with a progress value
// that increases strictly within the call, whatever the job's own counter does.

import type { JobProgress } from "../jobs/book.js";
import type { ToolExtra } from "./define.js";

export function progressReporter(extra: ToolExtra): ((update: JobProgress) => void) | undefined {
  const token = extra._meta?.progressToken;
  if (token === undefined) return undefined;
  let counter = 0;
  return (update) => {
    counter++;
    extra
      .sendNotification({
        method: "notifications/progress",
        params: { progressToken: token, progress: counter, message: update.message },
      })
      .catch(() => {});
  };
}
