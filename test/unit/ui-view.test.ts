// The pure parts of the viewer and gallery views: the truth line, the zoom arithmetic, reading tool results.

import { describe, expect, it } from "vitest";
import { inlineJson } from "../../src/ui/assets.js";
import { factsOf, truthOf } from "../../src/ui/web/shared/truth.js";
import { actualSize, fitState, pan, zoomAt } from "../../src/ui/web/shared/zoom.js";
import { upscaleTarget, viewModel } from "../../src/ui/web/viewer/model.js";

const VIEW = { width: 1280, height: 540 };
const K4 = { width: 3840, height: 2160 };

describe("the truth line", () => {
  it("reads results that leave null fields out: no requested_size on a measured image is size auto", () => {
    const t = truthOf({ width: 1024, height: 1024, verified: false });
    expect(t.requested).toBe("size auto");
    expect(t.badges.map((b) => b.key)).toEqual(["unverified"]);
    const run = viewModel({ structuredContent: { status: "completed", job_id: "job_1", images: [] } }).run;
    expect(run.cost_estimate_usd).toBeNull();
  });

  it("puts the measured size first and badges a verified experimental file", () => {
    const t = truthOf({ width: 3840, height: 2160, requested_size: "3840x2160", verified: true, experimental: true });
    expect(t.measured).toBe("3840x2160");
    expect(t.requested).toBe("requested 3840x2160");
    expect(t.badges.map((b) => b.key)).toEqual(["verified", "experimental"]);
    expect(t.note).toBeNull();
  });

  it("says mismatch, with the sentence, when a requested size was not delivered", () => {
    const t = truthOf({
      width: 1672,
      height: 941,
      requested_size: "3840x2160",
      verified: false,
      mismatch: "Requested…",
    });
    expect(t.badges.map((b) => b.key)).toEqual(["mismatch"]);
    expect(t.note).toBe("Requested…");
  });

  it("shows upscaled and transparent", () => {
    const t = truthOf({ verified: true, upscaled: true, has_alpha: true, requested_size: "1x1" });
    expect(t.badges.map((b) => b.key)).toEqual(["verified", "upscaled", "transparent"]);
  });

  it("flags a likely upscale from verify_image's estimate, labelled a heuristic, with the size it came from", () => {
    const estimate = { likely_upscaled: true, heuristic: true, effective_width: 1920, effective_height: 1080 };
    const t = truthOf({ verified: true, requested_size: "3840x2160", effective_resolution: estimate });
    expect(t.badges.find((b) => b.key === "likely-upscaled")?.text).toBe("likely upscaled from ~1920x1080 (heuristic)");
    expect(truthOf({ effective_resolution: { likely_upscaled: false } }).badges).toEqual([]);
  });

  it("lists format, bytes, cost, elapsed, provider, model, decision in that order and leaves out unknowns", () => {
    const facts = factsOf(
      { format: "png", bytes: 2_621_440 },
      { cost_usd: 0.4003, elapsed_ms: 62_000, provider: "openai", model: "gpt-image-2", decision: "native" },
    );
    expect(facts.map((f) => f.value)).toEqual(["PNG", "2.5 MB", "$0.4003", "62 s", "openai", "gpt-image-2", "native"]);
    expect(factsOf({}, {}).length).toBe(0);
  });
});

describe("zoom and pan", () => {
  it("fits a 4K image inside the view, centred, never above 100%", () => {
    const s = fitState(K4, VIEW);
    expect(s.scale).toBeCloseTo(0.25);
    expect(s.x).toBe(Math.round((1280 - 960) / 2));
    expect(fitState({ width: 100, height: 100 }, VIEW).scale).toBe(1);
  });

  it("shows one file pixel per CSS pixel at 100%, keeping the centre of the view", () => {
    const s = actualSize(fitState(K4, VIEW), K4, VIEW);
    expect(s.scale).toBe(1);
    expect(s.x).toBe(Math.round(640 - 1920));
    expect(s.y).toBe(Math.round(270 - 1080));
  });

  it("keeps the image on screen when panning past an edge", () => {
    const s = pan({ scale: 1, x: 0, y: 0 }, 500, 500, K4, VIEW);
    expect(s).toEqual({ scale: 1, x: 0, y: 0 });
    expect(pan({ scale: 1, x: 0, y: 0 }, -99_999, 0, K4, VIEW).x).toBe(1280 - 3840);
  });

  it("zooms around the pointer", () => {
    const start = { scale: 1, x: -1000, y: -500 };
    const s = zoomAt(start, 2, { x: 100, y: 100 }, K4, VIEW);
    expect(s.scale).toBe(2);
    expect((100 - s.x) / s.scale).toBeCloseTo((100 - start.x) / start.scale);
  });
});

describe("reading a tool result", () => {
  it("pairs each preview with the resource link that follows it", () => {
    const model = viewModel({
      structuredContent: { status: "completed", images: [{ uri: "pixelwright://images/a.png" }], provider: "openai" },
      content: [
        { type: "text", text: "Saved" },
        { type: "image", data: "AAAA", mimeType: "image/jpeg" },
        { type: "resource_link", uri: "pixelwright://images/a.png" },
      ],
    });
    expect(model.kind).toBe("images");
    expect(model.previews["pixelwright://images/a.png"]).toBe("data:image/jpeg;base64,AAAA");
    expect(model.run.provider).toBe("openai");
  });

  it("reads a running job's id, requested size and partial images", () => {
    const model = viewModel({
      structuredContent: {
        status: "running",
        job_id: "job_1",
        requested: { size: "3840x2160" },
        partial_images: ["pixelwright://images/x.partial-0.png"],
      },
    });
    expect(model).toMatchObject({ kind: "running", jobId: "job_1", requestedSize: { width: 3840, height: 2160 } });
    expect(model.partials).toEqual(["pixelwright://images/x.partial-0.png"]);
  });

  it("offers the largest valid size of the same shape as the upscale target, never a downscale", () => {
    expect(upscaleTarget(2560, 1440)).toEqual({ width: 3840, height: 2160 });
    expect(upscaleTarget(1024, 1024)).toEqual({ width: 2880, height: 2880 });
    expect(upscaleTarget(3840, 2160)).toBeNull();
  });
});

describe("data inlined into a page", () => {
  it("cannot close its script block or start markup", () => {
    const json = inlineJson({ name: "</script><script>alert(1)</script>", amp: "a&b", sep: "\u2028" });
    expect(json).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(json).name).toBe("</script><script>alert(1)</script>");
  });
});
