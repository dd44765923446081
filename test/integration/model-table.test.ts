// The model table as it is now (SPEC section 9, the rows' sources): transparency per model, gpt-image-2.6's own
// parameters and formats, and a price for every model — each through the real MCP client against the simulator,
// counting what reached the upstream.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GenerationResult } from "../../src/contract/results.js";
import { connectWithSimulator, type SimHarness, textOf } from "../helpers/simulated.js";

const asResult = (r: unknown) => (r as { structuredContent: GenerationResult }).structuredContent;

let h: SimHarness;
beforeAll(async () => {
  h = await connectWithSimulator();
});
afterAll(async () => h.close());
beforeEach(() => h.sim.reset());

describe("transparent backgrounds, per model", () => {
  it.each(["gpt-image-2", "gpt-image-2-2026-04-21"])(
    "refuses transparent on %s before any call, naming the models that make it",
    async (model) => {
      const result = await h.call("generate_image", { prompt: "a sticker", model, background: "transparent" });
      expect(result.isError).toBe(true);
      const text = textOf(result);
      expect(text).toMatch(new RegExp(`${model} cannot make transparent backgrounds`));
      expect(text).toMatch(/ended .*preview on 2026-09-30/);
      for (const supported of [
        "gpt-image-1.5",
        "gpt-image-2.5-flare",
        "gpt-image-2.5-sunburst",
        "gpt-image-2.6-flare",
        "gpt-image-2.6-sunburst",
      ]) {
        expect(text).toContain(supported);
      }
      expect(h.sim.stats.imageRequests).toBe(0);
    },
  );

  it.each(["gpt-image-2.5-flare", "gpt-image-2.6-sunburst", "gpt-image-1.5"])(
    "sends transparent on %s and saves an image with alpha",
    async (model) => {
      const out = asResult(
        await h.call("generate_image", {
          prompt: `a sticker on ${model}`,
          model,
          background: "transparent",
          return_image: "none",
        }),
      );
      expect(out.status).toBe("completed");
      expect(out.images[0]?.has_alpha).toBe(true);
      expect(h.sim.stats.imageRequests).toBe(1);
    },
  );
});

describe("gpt-image-2.6's own parameters and formats", () => {
  it("sends complexity to gpt-image-2.6 and refuses it elsewhere, naming the models that take it", async () => {
    const out = asResult(
      await h.call("generate_image", {
        prompt: "a busy market",
        model: "gpt-image-2.6-flare",
        complexity: "low",
        return_image: "none",
      }),
    );
    expect(out.status).toBe("completed");
    expect(h.sim.stats.imageRequests).toBe(1);
    const refused = await h.call("generate_image", { prompt: "a busy market", complexity: "low" });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/complexity is a parameter of gpt-image-2\.6-sunburst or gpt-image-2\.6-flare/);
    expect(h.sim.stats.imageRequests).toBe(1);
  });

  it("saves a GIF from gpt-image-2.6, measured and verified like any image", async () => {
    const out = asResult(
      await h.call("generate_image", {
        prompt: "a waving flag",
        model: "gpt-image-2.6-sunburst",
        output_format: "gif",
        size: "1536x1024",
        return_image: "none",
      }),
    );
    expect(out.images[0]).toMatchObject({ format: "gif", width: 1536, height: 1024, verified: true });
    expect(out.images[0]?.path).toMatch(/\.gif$/);
    expect((await sharp(out.images[0]?.path).metadata()).format).toBe("gif");
  });

  it.each([
    [
      "gif on gpt-image-2",
      { output_format: "gif" },
      /not offered by gpt-image-2;.*a model that offers it: gpt-image-2\.6-sunburst or gpt-image-2\.6-flare/,
    ],
    ["svg on gpt-image-2.6", { model: "gpt-image-2.6-flare", output_format: "svg" }, /"svg" .*cannot|not something/],
  ])("refuses %s with a sentence saying which model or format to use", async (_name, args, pattern) => {
    const refused = await h.call("generate_image", { prompt: "a logo", ...args });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(pattern);
    expect(h.sim.stats.imageRequests).toBe(0);
  });
});

describe("GIF animations (gpt-image-2.6)", () => {
  const GIF = { model: "gpt-image-2.6-flare", output_format: "gif", size: "1024x1024", return_image: "none" } as const;
  const sidecarOf = async (path: string) =>
    JSON.parse(await readFile(path.replace(/\.gif$/, ".json"), "utf8")) as { requested: Record<string, unknown> };

  it.each(["images", "responses"] as const)(
    "route %s: a GIF of frame_count frames at frame_duration_ms is saved with them, verified and recorded",
    async (route) => {
      const out = asResult(
        await h.call("generate_image", {
          ...GIF,
          prompt: `a spinning top on the ${route} route`,
          route,
          frame_count: 6,
          frame_duration_ms: 120,
        }),
      );
      expect(out.images[0]).toMatchObject({ format: "gif", frames: 6, verified: true });
      const path = out.images[0]?.path as string;
      const meta = await sharp(path).metadata();
      expect({ pages: meta.pages, delay: meta.delay }).toEqual({ pages: 6, delay: Array(6).fill(120) });
      expect((await sidecarOf(path)).requested).toMatchObject({ frame_count: 6, frame_duration_ms: 120 });
      const verified = (await h.call("verify_image", { path })).structuredContent as {
        status: string;
        images: { frames?: number }[];
      };
      expect(verified).toMatchObject({ status: "verified", images: [{ frames: 6 }] });
      expect(h.sim.stats.imageRequests).toBe(1);
    },
  );

  it("a GIF without frame_count is the API's 9 frames, and its estimate counts every frame", async () => {
    const out = asResult(await h.call("generate_image", { ...GIF, prompt: "a waving flag in nine frames" }));
    // An opaque GIF has no alpha, though libvips reads every GIF with an alpha channel.
    expect(out.images[0]).toMatchObject({ frames: 9, verified: true, has_alpha: false });
    const clear = asResult(
      await h.call("generate_image", {
        ...GIF,
        prompt: "a sticker in frames",
        background: "transparent",
        frame_count: 2,
      }),
    );
    expect(clear.images[0]).toMatchObject({ frames: 2, verified: true, has_alpha: true });
    const still = asResult(
      await h.call("generate_image", { ...GIF, output_format: "png", prompt: "a flag", dry_run: true }),
    );
    const gif = asResult(await h.call("generate_image", { ...GIF, prompt: "a flag", dry_run: true }));
    expect(gif.cost_estimate_usd).toBeGreaterThan(8 * (still.cost_estimate_usd as number));
    expect(gif.caveats.join(" ")).toMatch(/a GIF of 9 frames estimated as 9 images' output tokens/);
  });

  it.each([
    ["frame_count on a png", { output_format: "png", frame_count: 4 }, /frame_count is for output_format "gif"/],
    [
      "frame_duration_ms on a webp",
      { output_format: "webp", frame_duration_ms: 100 },
      /frame_duration_ms is for output_format "gif"/,
    ],
    ["partial images of a GIF", { partial_images: 2 }, /a GIF is not streamed, so it has no partial images/],
    ["strategy master for a GIF", { strategy: "master", size: "3840x2160" }, /strategy master upscales locally.*GIF/],
    ["strategy auto for a GIF", { strategy: "auto", size: "3840x2160" }, /strategy auto upscales locally.*GIF/],
  ])("refuses %s before any call, saying what to change", async (_name, args, pattern) => {
    const refused = await h.call("generate_image", { ...GIF, prompt: "a spinning top", ...args });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(pattern);
    expect(h.sim.stats.imageRequests).toBe(0);
  });

  it("refuses a GIF edit with a mask before any call", async () => {
    const made = asResult(await h.call("generate_image", { ...GIF, output_format: "png", prompt: "a room" }));
    const reference = made.images[0]?.path as string;
    const refused = await h.call("generate_image", {
      ...GIF,
      prompt: "the room, animated",
      reference_images: [reference],
      mask: reference,
    });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/a GIF edit takes no mask/);
    expect(h.sim.stats.imageRequests).toBe(1);
  });

  it("a GIF delivered with fewer frames than asked is not verified, now or when collected by job_id", async () => {
    // A gateway that re-encodes (here: resizes to the size it likes) keeps only the first frame.
    h.sim.setGateway({ ignoreSizeWith: "1024x1024" });
    try {
      const out = asResult(await h.call("generate_image", { ...GIF, prompt: "a top, flattened", frame_count: 5 }));
      expect(out.images[0]).toMatchObject({ frames: 1, verified: false });
      expect(out.images[0]?.mismatch).toMatch(/^Requested 5 frames but the saved file has 1\.$/);
      const collected = asResult(await h.call("verify_image", { job_id: out.job_id }));
      expect(collected.images[0]).toMatchObject({ frames: 1, verified: false });
      // Without frame_count a GIF is still an animation (the API makes 2-16 frames): one frame is not it.
      const still = asResult(await h.call("generate_image", { ...GIF, prompt: "a top, flattened again" }));
      expect(still.images[0]?.mismatch).toMatch(/Requested an animated GIF but the saved file has 1 frame/);
    } finally {
      h.sim.setGateway({ ignoreSizeWith: null });
    }
  });

  it("refuses edit_of a GIF before any call: edits take stills", async () => {
    const made = asResult(await h.call("generate_image", { ...GIF, prompt: "a top to edit", frame_count: 2 }));
    const refused = await h.call("generate_image", {
      ...GIF,
      output_format: "png",
      prompt: "still",
      edit_of: made.job_id,
    });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/is a GIF animation: edits take PNG, JPEG or WebP images/);
    expect(h.sim.stats.imageRequests).toBe(1);
  });
});

describe("markup overlays (gpt-image-2.5 edits)", () => {
  const EDIT = { model: "gpt-image-2.5-flare", size: "1024x1024", return_image: "none" } as const;
  let room: string;
  let drawn: string;
  beforeAll(async () => {
    room = join(h.workspace, "room.png");
    await sharp({ create: { width: 1024, height: 1024, channels: 3, background: "#456" } })
      .png()
      .toFile(room);
    // Transparent everywhere but one drawn box: what the model should add.
    const box = await sharp({ create: { width: 200, height: 120, channels: 4, background: "#f00f" } })
      .png()
      .toBuffer();
    drawn = join(h.workspace, "drawn.png");
    await sharp({ create: { width: 1024, height: 1024, channels: 4, background: "#0000" } })
      .composite([{ input: box, left: 400, top: 600 }])
      .png()
      .toFile(drawn);
    // name, side, background (RGBA): faintly transparent everywhere, opaque, clear, the wrong size
    const plain: [string, number, string][] = [
      ["faint.png", 1024, "#fffe"],
      ["opaque.png", 1024, "#ffff"],
      ["small.png", 512, "#0000"],
      ["clear.png", 1024, "#0000"],
      ["opaque-small.png", 512, "#ffff"],
    ];
    for (const [name, side, background] of plain) {
      await sharp({ create: { width: side, height: side, channels: 4, background } })
        .png()
        .toFile(join(h.workspace, name));
    }
  });

  it("sends the markup with the edit, and the estimate counts it as an input image", async () => {
    const edit = { ...EDIT, prompt: "a red sofa where the box is", reference_images: [room] };
    const plain = asResult(await h.call("generate_image", { ...edit, dry_run: true }));
    const guided = asResult(await h.call("generate_image", { ...edit, markup: drawn, dry_run: true }));
    expect(guided.cost_estimate_usd).toBeGreaterThan(plain.cost_estimate_usd as number);
    const out = asResult(await h.call("generate_image", { ...edit, markup: drawn }));
    expect(out.status).toBe("completed");
    const sent = h.sim.stats.requests[0];
    expect(sent?.path).toMatch(/\/images\/edits$/);
    const sha = createHash("sha256")
      .update(await readFile(drawn))
      .digest("hex");
    expect(sent?.markupSha256).toBe(sha);
    // A markup that is only faintly transparent is still an overlay: sent.
    const faint = asResult(await h.call("generate_image", { ...edit, markup: join(h.workspace, "faint.png") }));
    expect(faint.status).toBe("completed");
  });

  it.each([
    [
      "on gpt-image-2",
      { model: "gpt-image-2" },
      /markup is an overlay of gpt-image-2\.5-sunburst or gpt-image-2\.5-flare/,
    ],
    ["on gpt-image-2.6", { model: "gpt-image-2.6-flare" }, /markup is an overlay of gpt-image-2\.5/],
    ["with a mask", { mask: "drawn.png" }, /markup cannot be combined with a mask/],
    ["without a reference image", { reference_images: undefined }, /markup is drawn over a reference image/],
    ["on the Responses route", { route: "responses" }, /markup needs the Images API edit endpoint/],
    ["that is opaque", { markup: "opaque.png" }, /the markup has no transparent pixels/],
    ["of another size", { markup: "small.png" }, /the markup is 512x512 but the first reference image is 1024x1024/],
    ["that is opaque and of another size", { markup: "opaque-small.png" }, /the markup is 512x512 but the first/],
    ["with nothing drawn", { markup: "clear.png" }, /the markup is fully transparent: nothing is drawn on it/],
  ])("refuses markup %s before any call, saying what to change", async (_name, more, pattern) => {
    const args = { ...EDIT, prompt: "a sofa", reference_images: ["room.png"], markup: "drawn.png", ...more };
    const refused = await h.call("generate_image", args);
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(pattern);
    expect(h.sim.stats.imageRequests).toBe(0);
  });
});

describe("every model that is not retired has a price", () => {
  it.each([
    "gpt-image-2.5-flare",
    "gpt-image-2.5-sunburst",
    "gpt-image-2.6-flare",
    "gpt-image-2.6-sunburst",
    "gpt-image-1.5",
    "gpt-image-1-mini",
  ])("%s: a dry run gives a numeric estimate whose basis names its source", async (model) => {
    const dry = asResult(await h.call("generate_image", { prompt: "a fox", model, dry_run: true }));
    expect(dry.cost_estimate_usd).toBeGreaterThan(0);
    expect(dry.caveats.join(" ")).toMatch(/Cost basis: .*source: /);
  });

  it("estimates a model with no published price (a gateway's name) at the highest price, and says so", async () => {
    const dry = asResult(await h.call("generate_image", { prompt: "a fox", model: "acme-image-9", dry_run: true }));
    expect(dry.cost_estimate_usd).toBeGreaterThan(0.2107);
    expect(dry.caveats.join(" ")).toMatch(/no published price for acme-image-9: estimated at the highest price/);
  });
});

describe("the spend cap meets the new prices", () => {
  let capped: SimHarness;
  beforeAll(async () => {
    capped = await connectWithSimulator({ maxSpendUsd: 0.01 });
  });
  afterAll(async () => capped.close());

  it("under PIXELWRIGHT_MAX_SPEND_USD=0.01 a gpt-image-2.6-sunburst call sends nothing", async () => {
    const refused = await capped.call("generate_image", { prompt: "a fox", model: "gpt-image-2.6-sunburst" });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/PIXELWRIGHT_MAX_SPEND_USD allows \$0\.01.*nothing was sent/);
    expect(capped.sim.stats.imageRequests).toBe(0);
  });
});
