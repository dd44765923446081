import { describe, expect, it } from "vitest";
import { closest, didYouMean, editDistance } from "../../src/contract/suggest.js";

describe("did you mean", () => {
  it.each([
    ["promt", ["prompt", "size", "model"], "prompt"],
    ["qualty", ["quality", "size"], "quality"],
    ["wokspace", ["workspace", "model", "port"], "workspace"],
    ["doctr", ["stdio", "call", "tools", "doctor", "http"], "doctor"],
    ["generat_image", ["validate_size", "generate_image"], "generate_image"],
    ["WAIT-SECONDS", ["wait_seconds", "timeout_seconds"], "wait_seconds"],
    ["inof", ["fatal", "error", "warn", "info", "debug"], "info"],
  ])("suggests %s → %s", (typo, candidates, expected) => {
    expect(closest(typo, candidates)).toBe(expected);
  });

  it.each([
    ["colour", ["prompt", "size", "model"]],
    ["x", ["prompt", "size"]],
    ["banana", ["stdio", "call", "tools", "doctor"]],
  ])("suggests nothing for %s, which is not a slip of the keyboard", (word, candidates) => {
    expect(closest(word, candidates)).toBeNull();
    expect(didYouMean(word, candidates)).toBe("");
  });

  it("counts two swapped neighbours as one edit", () => {
    expect(editDistance("promtp", "prompt")).toBe(1);
    expect(editDistance("prompt", "prompt")).toBe(0);
    expect(editDistance("", "abc")).toBe(3);
  });

  it("reads as a sentence to append to a refusal", () => {
    expect(didYouMean("promt", ["prompt"])).toBe(" Did you mean 'prompt'?");
  });
});
