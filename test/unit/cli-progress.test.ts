import type { CallToolResult } from "@modelcontextprotocol/client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { callLogLevel, exitCodeFor, outputMode, renderText } from "../../src/cli/call-command.js";
import { applyUpdate, createProgressDisplay, fitToWidth, formatLine, initialState } from "../../src/cli/progress.js";

function fakeStream(columns?: number) {
  const writes: string[] = [];
  return { writes, stream: { write: (t: string) => writes.push(t), ...(columns ? { columns } : {}) } };
}

describe("the progress line", () => {
  it("shows elapsed time, the phase and the server's message without the server's own elapsed time", () => {
    const state = applyUpdate(initialState(), {
      progress: 1,
      message: "rendering 3840x2160 high — 12 s elapsed, usually 60-180 s",
    });
    expect(formatLine(state, 12_400)).toBe("[12 s] running · rendering 3840x2160 high — usually 60-180 s");
  });

  it("says queued while the job waits for a slot", () => {
    const state = applyUpdate(initialState(), {
      progress: 1,
      message: "queued — 3 s elapsed, usually 10-60 s",
    });
    expect(state.phase).toBe("queued");
    expect(formatLine(state, 3000)).toMatch(/^\[3 s\] queued · /);
  });

  it("counts partial images saved and keeps the last message", () => {
    let state = applyUpdate(initialState(), { progress: 1, message: "rendering 1024x1024 high — 1 s elapsed, x" });
    state = applyUpdate(state, { progress: 2, message: "partial image 1 of 2 received" });
    state = applyUpdate(state, { progress: 3, message: "partial image 2 of 2 received" });
    expect(formatLine(state, 65_000)).toBe(
      "[1 min 05 s] running · rendering 1024x1024 high — x · 2 of 2 partial images saved",
    );
  });

  it("cuts the server's sentence to fit the terminal, never the job id or the partial count", () => {
    let state = applyUpdate(initialState(), {
      progress: 1,
      message: `rendering 3840x2160 high — 12 s elapsed, usually 60-180 s ${"(a long provider note) ".repeat(5)}(job_id job_7c1e0b9a2f444c1e)`,
    });
    state = applyUpdate(state, { progress: 2, message: "partial image 1 of 2 received" });
    const line = formatLine(state, 12_000, 120);
    expect(line.length).toBeLessThanOrEqual(119);
    expect(line).toMatch(/^\[12 s\] running · rendering 3840x2160 high — usually .*… · /);
    expect(line).toMatch(/ · job_7c1e0b9a2f444c1e · 1 of 2 partial images saved$/);
    expect(formatLine(state, 12_000)).toContain("(a long provider note) (a long provider note)");
  });

  it("is cut to the terminal width so redrawing never wraps", () => {
    expect(fitToWidth("x".repeat(200), 80)).toHaveLength(79);
    expect(fitToWidth("short", 80)).toBe("short");
  });
});

describe("the progress display", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("on a terminal, redraws one line in place and clears it when the call ends", () => {
    const { writes, stream } = fakeStream(100);
    const display = createProgressDisplay({ stream, tty: true, now: () => 0 });
    display.onprogress({ progress: 1, message: "rendering 1024x1024 low — 0 s elapsed, soon" });
    display.onprogress({ progress: 2, message: "rendering 1024x1024 low — 1 s elapsed, soon" });
    display.stop();
    expect(writes.slice(0, 2).every((w) => w.startsWith("\r\x1b[2K[0 s] running"))).toBe(true);
    expect(writes.some((w) => w.includes("\n"))).toBe(false);
    expect(writes.at(-1)).toBe("\r\x1b[2K");
  });

  it("not on a terminal, prints plain lines at most one per interval, with the newest state", () => {
    vi.useFakeTimers({ now: 0 });
    const { writes, stream } = fakeStream();
    const display = createProgressDisplay({ stream, tty: false, plainIntervalMs: 5000 });
    display.onprogress({ progress: 1, message: "rendering a — 0 s elapsed, b" });
    for (const [step, by] of [
      [1, 1000],
      [2, 1000],
      [4, 2000],
    ] as const) {
      vi.advanceTimersByTime(by);
      display.onprogress({ progress: step + 1, message: `rendering a — ${step} s elapsed, b (step ${step})` });
    }
    expect(writes).toEqual(["pixelwright: [0 s] running · rendering a — b\n"]);
    vi.advanceTimersByTime(1000);
    expect(writes).toEqual([
      "pixelwright: [0 s] running · rendering a — b\n",
      "pixelwright: [5 s] running · rendering a — b (step 4)\n",
    ]);
    display.stop();
  });

  it("with --quiet, writes nothing at all", () => {
    const { writes, stream } = fakeStream(80);
    const display = createProgressDisplay({ stream, tty: true, quiet: true });
    display.begin();
    display.onprogress({ progress: 1, message: "rendering" });
    display.stop();
    expect(writes).toEqual([]);
  });

  it("not on a terminal, begin() waits for the server instead of printing a line of its own", () => {
    const { writes, stream } = fakeStream();
    const display = createProgressDisplay({ stream, tty: false });
    display.begin();
    display.stop();
    expect(writes).toEqual([]);
  });
});

function result(structured: Record<string, unknown>, text = "Headline sentence.", isError = false): CallToolResult {
  return {
    structuredContent: structured,
    content: [{ type: "text", text: `${text}\n${JSON.stringify(structured)}` }],
    ...(isError ? { isError } : {}),
  };
}

describe("the call's output and exit code", () => {
  it("is JSON when asked with --json or when stdout is not a terminal, readable lines otherwise", () => {
    expect(outputMode(true, true)).toBe("json");
    expect(outputMode(false, false)).toBe("json");
    expect(outputMode(false, true)).toBe("text");
  });

  it("reads as the headline, each saved path, the caveats and what to do next", () => {
    const text = renderText(
      result(
        {
          status: "completed",
          images: [{ path: "/ws/a.png" }, { path: "/ws/b.png" }],
          caveats: ["Offline."],
          next: null,
        },
        "Saved 2 images.",
      ),
    );
    expect(text).toBe("Saved 2 images.\n  saved: /ws/a.png\n  saved: /ws/b.png\n  note: Offline.");
  });

  it.each([
    ["completed", 0],
    ["verified", 0],
    ["running", 0],
    ["failed", 1],
  ])("exits %s → %i", (status, code) => {
    expect(exitCodeFor(result({ status }))).toBe(code);
  });

  it("exits 1 when the tool refused the request", () => {
    expect(exitCodeFor(result({}, "size is not valid", true))).toBe(1);
  });
});

describe("the call's own logs", () => {
  it("keep the terminal for progress and result: errors only on a terminal, warnings in a pipe", () => {
    expect(callLogLevel("info", {}, true, {})).toBe("error");
    expect(callLogLevel("info", {}, false, {})).toBe("warn");
  });

  it("follow --log-level when the user asks for logs", () => {
    expect(callLogLevel("debug", { "log-level": "debug" }, true, {})).toBe("debug");
    expect(callLogLevel("debug", {}, true, { PIXELWRIGHT_LOG_LEVEL: "debug" })).toBe("debug");
  });
});
