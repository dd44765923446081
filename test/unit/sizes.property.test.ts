import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { activeModels, MODELS } from "../../src/contract/models.js";
import { validateSize } from "../../src/contract/sizes.js";

const modelNames = [...MODELS.keys(), "some-gateway-model", "", "???"];

const sizeLike = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc
    .tuple(
      fc.integer({ min: 0, max: 20_000 }),
      fc.constantFrom("x", "X", "×", "*", " x ", ":"),
      fc.integer({ min: 0, max: 20_000 }),
    )
    .map(([w, sep, h]) => `${w}${sep}${h}`),
  fc.tuple(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 300 })).map(([w, h]) => `${w * 16}x${h * 16}`),
);

describe("validator properties", () => {
  it("never throws on any string, and always answers with a verdict", () => {
    fc.assert(
      fc.property(sizeLike, fc.constantFrom(...modelNames), (size, model) => {
        const report = validateSize(size, model);
        expect(typeof report.ok).toBe("boolean");
        expect(report.ok).toBe(report.violations.length === 0);
      }),
      { numRuns: 1500 },
    );
  });

  it("never throws on non-string input either", () => {
    for (const value of [undefined, null, 42, {}, [], Symbol.iterator.toString()]) {
      expect(() => validateSize(value as unknown)).not.toThrow();
    }
  });

  it("makes only suggestions that themselves validate, under the rules that were applied", () => {
    fc.assert(
      fc.property(sizeLike, fc.constantFrom(...modelNames), (size, model) => {
        const report = validateSize(size, model);
        for (const suggestion of report.suggestions) {
          const check = validateSize(suggestion.size, report.rules_model);
          expect(check.violations, `${size} on ${model} suggested ${suggestion.size}`).toEqual([]);
          expect([check.width, check.height]).toEqual([suggestion.width, suggestion.height]);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("never corrects a valid size: only stable alternatives are offered", () => {
    const models = activeModels().map((m) => m.id);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 240 }),
        fc.integer({ min: 1, max: 240 }),
        fc.constantFrom(...models),
        (a, b, model) => {
          const report = validateSize(`${a * 16}x${b * 16}`, model);
          if (!report.ok) return;
          for (const s of report.suggestions) expect(s.kind).toBe("stable_master");
          expect(report.size).toBe(`${a * 16}x${b * 16}`);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("suggests a non-experimental size for every invalid size it can read", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20_000 }), fc.integer({ min: 1, max: 20_000 }), (w, h) => {
        const report = validateSize(`${w}x${h}`);
        if (report.ok) return;
        expect(report.suggestions.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });
});
