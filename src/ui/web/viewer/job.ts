// A running generation: ask the server (through the host) for the job with verify_image, a few seconds at a time,
// show its progress and each partial image as it appears, until the verified result replaces it.

import type { App } from "@modelcontextprotocol/ext-apps";
import { formatMs } from "../shared/truth.js";
import { type ToolResultLike, type ViewModel, viewModel } from "./model.js";

const POLL_SECONDS = 3;
/** An hour of polling at most; a generation that long has failed upstream anyway. */
const MAX_POLLS = 1200;

export interface JobSink {
  status(text: string): void;
  /** Shows a partial image; false when it could not be read (yet), so it is tried again. */
  partial(uri: string, size: { width: number; height: number } | null): Promise<boolean>;
  done(result: ToolResultLike): void;
}

export async function followJob(app: App, first: ViewModel, sink: JobSink): Promise<void> {
  const jobId = first.jobId as string;
  const seen = new Set<string>();
  let model = first;
  const started = Date.now();
  for (let i = 0; i < MAX_POLLS; i++) {
    sink.status(`${model.message || "Generating…"}`);
    // The newest partial is the most finished one: show it alone.
    const newest = model.partials[model.partials.length - 1];
    if (newest && !seen.has(newest) && (await sink.partial(newest, model.requestedSize))) seen.add(newest);
    let result: ToolResultLike;
    try {
      result = (await app.callServerTool({
        name: "verify_image",
        arguments: { job_id: jobId, wait_seconds: POLL_SECONDS },
      })) as ToolResultLike;
    } catch (err) {
      sink.status(`Could not reach the job (${err instanceof Error ? err.message : String(err)}); retrying…`);
      await new Promise((r) => setTimeout(r, POLL_SECONDS * 1000));
      continue;
    }
    const next = viewModel(result);
    if (next.kind !== "running") {
      sink.done(result);
      return;
    }
    model = { ...next, requestedSize: next.requestedSize ?? model.requestedSize };
  }
  sink.status(`Still running after ${formatMs(Date.now() - started)}: call verify_image with job_id "${jobId}".`);
}
