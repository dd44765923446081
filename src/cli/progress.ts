// Progress of one `pixelwright call` on stderr, from the server's progress notifications: on a terminal one line
// redrawn in place (elapsed, queued/running, the server's message, partial images saved); elsewhere a plain line at
// most every 5 s. Never on stdout (that is the result's), and nothing at all with --quiet.

/** What the MCP client hands to onprogress (the params of notifications/progress). */
export interface ProgressUpdate {
  progress: number;
  total?: number;
  message?: string;
}

/** A stream to draw on: process.stderr, or a fake in tests. */
export interface ProgressStream {
  write(text: string): unknown;
  columns?: number;
}

export interface ProgressOptions {
  stream: ProgressStream;
  /** Redraw one line in place (stderr is a terminal) instead of printing plain lines. */
  tty: boolean;
  quiet?: boolean;
  /** Clock, for tests. */
  now?: () => number;
  /** Plain mode: the least time between two lines. */
  plainIntervalMs?: number;
  /** Terminal mode: how often the elapsed time is redrawn without news from the server. */
  tickMs?: number;
}

export type Phase = "starting" | "queued" | "running";

export interface ProgressState {
  phase: Phase;
  /** The server's latest message, without the elapsed time it carries (the line shows its own). */
  detail: string;
  /** Partial images saved so far (streamed previews of the final image). */
  partials: number;
  partialsExpected: number | null;
  /** The job the server named: the one thing a person needs to collect the result later, so never cut. */
  jobId: string | null;
  updates: number;
}

const PARTIAL = /^partial image (\d+) of (\d+) received/;
const SERVER_ELAPSED = / — \d+ s elapsed,/;
const JOB_ID = /\s*\(job_id ([^)\s]+)\)\s*$/;

export function initialState(): ProgressState {
  return { phase: "starting", detail: "", partials: 0, partialsExpected: null, jobId: null, updates: 0 };
}

/** Folds one notification into the state. */
export function applyUpdate(state: ProgressState, update: ProgressUpdate): ProgressState {
  let message = (update.message ?? "").trim();
  const next = { ...state, updates: state.updates + 1 };
  const job = JOB_ID.exec(message);
  if (job) {
    next.jobId = job[1] ?? null;
    message = message.replace(JOB_ID, "");
  }
  const partial = PARTIAL.exec(message);
  if (partial) {
    next.partials = Math.max(state.partials, Number(partial[1]));
    next.partialsExpected = Number(partial[2]);
    next.phase = "running";
    return next;
  }
  if (message === "") return next;
  next.phase = /^queued\b/.test(message) ? "queued" : "running";
  next.detail = message.replace(SERVER_ELAPSED, " —").replace(/^queued — /, "");
  return next;
}

export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
}

/**
 * The one line shown for a state: "[12 s] running · rendering 3840x2160 high — usually 60-180 s · job_3f2a9c… · 1
 * partial image saved". Given the terminal's width, only the server's sentence is cut: the time, the phase, the
 * job id and the partial count always show.
 */
export function formatLine(state: ProgressState, elapsedMs: number, columns?: number): string {
  const head = `[${formatElapsed(elapsedMs)}] ${state.phase}`;
  const tail: string[] = [];
  if (state.jobId) tail.push(state.jobId);
  if (state.partials > 0) {
    const of = state.partialsExpected ? ` of ${state.partialsExpected}` : "";
    tail.push(`${state.partials}${of} partial image${state.partials === 1 && !of ? "" : "s"} saved`);
  }
  const line = (detail: string) => [head, detail, ...tail].filter(Boolean).join(" · ");
  const width = lineWidth(columns);
  const full = line(state.detail);
  if (!width || full.length <= width || !state.detail) return fitToWidth(full, columns);
  const room = width - line("").length - " · ".length;
  return fitToWidth(line(room > 1 ? `${state.detail.slice(0, room - 1)}…` : ""), columns);
}

/** The usable width of a terminal line (one column is kept free so the cursor never wraps), or 0 if unknown. */
function lineWidth(columns: number | undefined): number {
  return columns && columns > 10 ? columns - 1 : 0;
}

/** Cuts a line to the terminal's width, so redrawing with \r never leaves a wrapped tail behind. */
export function fitToWidth(line: string, columns: number | undefined): string {
  const width = lineWidth(columns);
  if (!width || line.length <= width) return line;
  return `${line.slice(0, width - 1)}…`;
}

export interface ProgressDisplay {
  /** Pass as the MCP client's onprogress. */
  onprogress(update: ProgressUpdate): void;
  /** Terminal: shows the line now, before the server said anything (a long start). Plain: waits for the server. */
  begin(): void;
  /** Removes the in-place line (terminal) and stops the timers; call before printing the result. */
  stop(): void;
  readonly state: ProgressState;
}

const SILENT: ProgressDisplay = {
  onprogress() {},
  begin() {},
  stop() {},
  state: initialState(),
};

export function createProgressDisplay(options: ProgressOptions): ProgressDisplay {
  if (options.quiet) return SILENT;
  const now = options.now ?? Date.now;
  const started = now();
  const plainInterval = options.plainIntervalMs ?? 5000;
  let state = initialState();
  let shown = false;
  let lastPlainAt = Number.NEGATIVE_INFINITY;
  let stopped = false;
  let ticker: ReturnType<typeof setInterval> | undefined;
  let plainTimer: ReturnType<typeof setTimeout> | undefined;

  const drawTty = () => {
    const line = formatLine(state, now() - started, options.stream.columns);
    options.stream.write(`\r\x1b[2K${line}`);
    shown = true;
  };

  const printPlain = () => {
    plainTimer = undefined;
    if (stopped) return;
    lastPlainAt = now();
    options.stream.write(`pixelwright: ${formatLine(state, lastPlainAt - started)}\n`);
  };

  const schedulePlain = () => {
    if (plainTimer) return;
    const wait = lastPlainAt + plainInterval - now();
    if (wait <= 0) return printPlain();
    // A line is due later: print the newest state then, not every update in between.
    plainTimer = setTimeout(printPlain, wait);
    plainTimer.unref?.();
  };

  const show = () => {
    if (stopped) return;
    if (options.tty) {
      drawTty();
      if (!ticker) {
        ticker = setInterval(drawTty, options.tickMs ?? 1000);
        ticker.unref?.();
      }
    } else {
      schedulePlain();
    }
  };

  return {
    get state() {
      return state;
    },
    onprogress(update) {
      state = applyUpdate(state, update);
      show();
    },
    begin() {
      if (options.tty) show();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (ticker) clearInterval(ticker);
      if (plainTimer) clearTimeout(plainTimer);
      if (options.tty && shown) options.stream.write("\r\x1b[2K");
    },
  };
}
