import { describe, expect, it } from "vitest";
import { GATEWAY_TIERS } from "../../src/contract/models.js";
import { aspectLabel, parseSize, validateSize } from "../../src/contract/sizes.js";

// SPEC section 1, row by row.
describe("the size contract of gpt-image-2 (SPEC section 1)", () => {
  it.each([
    ["4096x2160", ["max_edge", "max_pixels"]],
    ["4000x2160", ["max_edge", "max_pixels"]],
    ["3840x2170", ["multiple_of_16", "max_pixels"]],
    ["3839x2160", ["multiple_of_16"]],
    ["1920x1080", ["multiple_of_16"]],
    ["3840x1024", ["aspect_ratio"]],
    ["3200x900", ["multiple_of_16", "aspect_ratio"]],
    ["512x512", ["min_pixels"]],
    ["1024x256", ["aspect_ratio", "min_pixels"]],
    ["690x500", ["multiple_of_16", "min_pixels"]],
    ["3840x2880", ["max_pixels"]],
    ["4096x4096", ["max_edge", "max_pixels"]],
    ["3840x2560", ["max_pixels"]],
  ])("%s is refused for exactly the rules %j", (size, rules) => {
    const report = validateSize(size, "gpt-image-2");
    expect(report.ok).toBe(false);
    expect(report.violations.map((v) => v.rule).sort()).toEqual([...rules].sort());
    for (const v of report.violations) expect(v.message.length).toBeGreaterThan(10);
  });

  it.each([
    ["1024x1024", false],
    ["1536x1024", false],
    ["1024x1536", false],
    ["2048x1152", false],
    ["1152x2048", false],
    ["2560x1440", false],
    ["1440x2560", false],
    ["1920x1088", false],
    ["1792x1024", false],
    ["3840x2160", true],
    ["2160x3840", true],
    ["2880x2880", true],
    ["2048x2048", true],
  ])("%s is valid (experimental: %s)", (size, experimental) => {
    const report = validateSize(size, "gpt-image-2");
    expect(report.violations).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.experimental).toBe(experimental);
    expect(report.size).toBe(size);
  });

  it("draws the experimental line at exactly 3,686,400 pixels (2560x1440 is stable)", () => {
    expect(validateSize("2560x1440").experimental).toBe(false);
    expect(validateSize("2576x1440").experimental).toBe(true);
  });

  it("finds 2880x2880 is the largest square: exactly the pixel ceiling", () => {
    expect(validateSize("2880x2880").pixels).toBe(8_294_400);
    expect(validateSize("2896x2896").violations.map((v) => v.rule)).toContain("max_pixels");
  });

  it("accepts auto and says there is nothing to verify against", () => {
    const report = validateSize("auto");
    expect(report.ok).toBe(true);
    expect(report.size).toBe("auto");
    expect(report.width).toBeNull();
    expect(report.notes.join(" ")).toMatch(/measured/);
  });
});

describe("suggestions users ask for", () => {
  it.each([
    ["1920x1080", "1920x1088", "1920x1072"],
    ["4096x2160", "3840x2160", undefined],
    ["1080x1920", "1088x1920", undefined],
    ["4096x4096", "2880x2880", undefined],
    ["3839x2160", "3840x2160", undefined],
  ])("%s -> %s first", (size, first, alsoOffered) => {
    const report = validateSize(size);
    expect(report.suggestions[0]?.size).toBe(first);
    if (alsoOffered) expect(report.suggestions.map((s) => s.size)).toContain(alsoOffered);
  });

  it("offers 2560x1440 as the stable 2K master for 3840x2160", () => {
    const report = validateSize("3840x2160");
    expect(report.suggestions).toEqual([expect.objectContaining({ size: "2560x1440", kind: "stable_master" })]);
  });

  it("offers 1440x2560 for 4K portrait and 1920x1920 for the largest square", () => {
    expect(validateSize("2160x3840").suggestions[0]?.size).toBe("1440x2560");
    expect(validateSize("2880x2880").suggestions[0]?.size).toBe("1920x1920");
  });

  it("adds the stable master when the corrected size is itself experimental (4096x2160)", () => {
    const kinds = validateSize("4096x2160").suggestions.map((s) => [s.size, s.kind]);
    expect(kinds).toContainEqual(["2560x1440", "stable_master"]);
  });

  it("keeps the shape when correcting an over-wide size (3840x1024 -> 3:1)", () => {
    const first = validateSize("3840x1024").suggestions[0];
    expect(first && first.width / first.height).toBeCloseTo(3, 5);
  });

  it("reads two numbers out of an unreadable size as a hint", () => {
    const report = validateSize("1920 by 1080");
    expect(report.violations.map((v) => v.rule)).toEqual(["format"]);
    expect(report.suggestions[0]?.size).toBe("1920x1088");
  });
});

describe("parsing", () => {
  it.each([
    "3840x2160",
    "3840X2160",
    "3840×2160",
    "3840 x 2160",
    "3840*2160",
    "  3840 × 2160  ",
    "4k-landscape",
    "16:9(4K)",
    "16:9 (4k)",
  ])("reads %j as 3840x2160", (text) => {
    expect(validateSize(text).size).toBe("3840x2160");
  });

  it.each(["", "abc", "3840x", "x2160", "3840x2160x3", "-3840x2160", "3840.5x2160", "0x2160", "7:5(4K)", "3840/2160"])(
    "reports %j as a format violation, not an exception",
    (text) => {
      const report = validateSize(text);
      expect(report.ok).toBe(false);
      expect(report.violations[0]?.rule).toBe("format");
    },
  );

  it("maps every preset and tier to a size", () => {
    expect(parseSize("mobile-hero")).toEqual({ kind: "dims", width: 1152, height: 2048, preset: "mobile-hero" });
    expect(parseSize("9:16(2K)")).toEqual({ kind: "dims", width: 1152, height: 2048, tier: "9:16(2K)" });
  });

  it.each([
    [3840, 2160, "16:9"],
    [1024, 1024, "1:1"],
    [1536, 1024, "3:2"],
    [1920, 1088, "~16:9"],
    [4096, 2160, "1.90:1"],
  ])("labels %ix%i as %s", (w, h, label) => {
    expect(aspectLabel(w, h)).toBe(label);
  });
});

describe("models", () => {
  it.each([
    ["gpt-image-1", "gpt-image-2.5-sunburst"],
    ["dall-e-3", "gpt-image-2"],
    ["dall-e-2", "gpt-image-2"],
  ])("refuses the retired model %s and names %s", (model, replacement) => {
    const report = validateSize("1024x1024", model);
    expect(report.ok).toBe(false);
    const retired = report.violations.find((v) => v.rule === "model_retired");
    expect(retired?.message).toContain(replacement);
    expect(report.rules_model).toBe(replacement);
  });

  it("limits gpt-image-1.5 to its three sizes and suggests the closest shape", () => {
    const report = validateSize("3840x2160", "gpt-image-1.5");
    expect(report.violations.map((v) => v.rule)).toEqual(["model_sizes"]);
    expect(report.suggestions[0]).toMatchObject({ size: "1536x1024", kind: "model_size" });
    expect(validateSize("1024x1536", "gpt-image-1-mini").ok).toBe(true);
  });

  it("validates an unknown (gateway-invented) model with the gpt-image-2 rules and says so", () => {
    const report = validateSize("3840x2160", "my-gateway-image-model");
    expect(report.ok).toBe(true);
    expect(report.rules_model).toBe("gpt-image-2");
    expect(report.notes.join(" ")).toMatch(/not a model pixelwright knows/);
  });

  it("refuses a model name that cannot be an identifier", () => {
    const report = validateSize("1024x1024", "gpt image 2; rm -rf");
    expect(report.violations.map((v) => v.rule)).toEqual(["unknown_model"]);
  });

  it("marks the 2.5 models' size limits as unverified", () => {
    expect(validateSize("3840x2160", "gpt-image-2.5-flare").notes.join(" ")).toMatch(/not published/);
  });
});

describe("gpt-image-2-pro gateway tiers (SPEC section 3)", () => {
  const overCeiling = new Set(["4:3(4K)", "3:2(4K)", "2:3(4K)"]);
  it.each(Object.entries(GATEWAY_TIERS))("%s promises %j", (tier, [w, h]) => {
    const report = validateSize(tier, "gpt-image-2-pro");
    expect(report.tier).toBe(tier);
    expect([report.width, report.height]).toEqual([w, h]);
    if (overCeiling.has(tier)) {
      expect(report.ok).toBe(false);
      const v = report.violations.find((x) => x.rule === "max_pixels");
      expect(v?.message).toMatch(/must fall back to another size; verify the result/);
      expect(report.suggestions.length).toBeGreaterThan(0);
    } else {
      expect(report.ok).toBe(true);
    }
  });

  it("answers 16:9(4K) on gpt-image-2-pro with 3840x2160, experimental", () => {
    const report = validateSize("16:9(4K)", "gpt-image-2-pro");
    expect(report).toMatchObject({ ok: true, size: "3840x2160", experimental: true, tier: "16:9(4K)" });
  });

  it("offers the same-shape 2K tier for a tier beyond the ceiling", () => {
    expect(validateSize("4:3(4K)", "gpt-image-2-pro").suggestions[0]).toMatchObject({ size: "4:3(2K)", kind: "tier" });
  });
});
