import { readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/client";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  BatchResultSchema,
  GenerationResultSchema,
  SizeReportSchema,
  UpscaleResultSchema,
  VerifyResultSchema,
} from "../../src/contract/schemas.js";
import { fromWire } from "../../src/contract/wire.js";
import { connectWithSimulator, type SimHarness } from "../helpers/simulated.js";

// Hostile and random arguments for every tool: every call must end in a clear isError or a valid result,
// never a crash, and nothing may be written outside the workspace.

let h: SimHarness;
let parentBefore: string[];
beforeAll(async () => {
  h = await connectWithSimulator({ maxQueued: 1000 });
  parentBefore = readdirSync(dirname(h.workspace));
});
afterAll(async () => h.close());

const hostileString = fc.oneof(
  fc.string({ maxLength: 50 }),
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.constantFrom(
    "",
    "\u0000",
    "../../../../etc/passwd",
    "/etc/shadow",
    "..\\..\\windows\\system32",
    "CON",
    "a\u202eb.png",
    "\u200b\u200b",
    "%2e%2e%2f%2e%2e%2f",
    "file:///etc/passwd",
    "~/.ssh/id_rsa",
    "x".repeat(20_000),
    "3840x2160\u0000.png",
    "🦊".repeat(100),
  ),
);
const number = fc.oneof(
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.double({ noNaN: false }),
  fc.constantFrom(0, -1, 1e308, Number.MAX_SAFE_INTEGER),
);
const anything: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    hostileString,
    number,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie("value"), { maxKeys: 3 }),
  ),
})).value;

function nested(depth: number): unknown {
  let value: unknown = "deep";
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

async function call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await h.client.callTool({ name, arguments: args }, { timeout: 60_000 })) as CallToolResult;
}

function assertCleanOutcome(result: CallToolResult, schema: z.ZodType) {
  if (result.isError) {
    const text = result.content.map((c) => (c.type === "text" ? c.text : "")).join(" ");
    expect(text.length).toBeGreaterThan(5);
    expect(text).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/); // no stack traces
    // Every failure a caller can cause is a typed error that says what to change, never an internal one.
    expect(text).not.toMatch(/Internal error/);
  } else {
    // What arrives (null fields left out) is the schema's shape once the nulls are restored.
    expect(() => fromWire(schema, result.structuredContent)).not.toThrow();
  }
}

describe("fuzzing the tools", () => {
  it("validate_size: any arguments give a valid result or a clear error", async () => {
    await fc.assert(
      fc.asyncProperty(fc.record({ size: anything, model: anything }, { requiredKeys: [] }), async (args) => {
        assertCleanOutcome(await call("validate_size", args), SizeReportSchema);
      }),
      { numRuns: 150 },
    );
  });

  it("generate_image: hostile arguments never crash and never write outside the workspace", async () => {
    const args = fc.record(
      {
        prompt: fc.oneof(hostileString, anything),
        size: fc.oneof(hostileString, fc.constantFrom("1024x1024", "auto", "1536x1024", "16:9(2K)"), anything),
        model: fc.oneof(hostileString, fc.constantFrom("gpt-image-2", "gpt-image-1.5", "dall-e-3")),
        n: number,
        quality: fc.oneof(hostileString, fc.constantFrom("low", "high")),
        output_format: fc.oneof(hostileString, fc.constantFrom("png", "webp", "jpeg")),
        output_compression: number,
        background: fc.oneof(hostileString, fc.constantFrom("transparent", "opaque")),
        filename: hostileString,
        reference_images: fc.array(hostileString, { maxLength: 3 }),
        mask: hostileString,
        partial_images: number,
        wait_seconds: fc.constantFrom(0, 5, -1, 1e9),
        return_image: fc.oneof(hostileString, fc.constantFrom("none", "preview")),
        dry_run: fc.oneof(fc.boolean(), anything),
        extra: anything,
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(args, async (input) => {
        assertCleanOutcome(await call("generate_image", input), GenerationResultSchema);
      }),
      { numRuns: 120 },
    );
  }, 240_000);

  it("generate_image: valid-looking requests with hostile filenames stay inside the workspace", async () => {
    await fc.assert(
      fc.asyncProperty(hostileString, async (filename) => {
        const result = await call("generate_image", { prompt: "fuzz", filename, return_image: "none", fresh: true });
        assertCleanOutcome(result, GenerationResultSchema);
        const out = result.structuredContent as { images?: { path: string }[] } | undefined;
        for (const image of out?.images ?? []) expect(dirname(image.path)).toBe(h.workspace);
      }),
      { numRuns: 25 },
    );
    expect(h.sim.stats.imageRequests).toBeGreaterThan(0);
  }, 120_000);

  it("generate_batch: hostile items never crash; sent batches save inside the workspace", async () => {
    const item = fc.record(
      {
        prompt: fc.oneof(hostileString, fc.constantFrom("a fuzzed batch item")),
        size: fc.oneof(hostileString, fc.constantFrom("1024x1024", "auto", "1536x1024")),
        model: fc.oneof(hostileString, fc.constantFrom("gpt-image-2", "dall-e-3")),
        n: fc.oneof(number, fc.constantFrom(1, 2)),
        quality: fc.constantFrom("low", "high", "bogus"),
        filename: hostileString,
        reference_images: fc.array(hostileString, { maxLength: 2 }),
        partial_images: number,
        extra: anything,
      },
      { requiredKeys: ["prompt"] },
    );
    const args = fc.record(
      { items: fc.oneof(fc.array(item, { maxLength: 3 }), anything), dry_run: fc.boolean(), fresh: anything },
      { requiredKeys: ["items"] },
    );
    await fc.assert(
      fc.asyncProperty(args, async (input) => {
        const result = await call("generate_batch", input);
        assertCleanOutcome(result, BatchResultSchema);
        const out = result.structuredContent as { job_id?: string } | undefined;
        if (out?.job_id) await h.runtime.images.jobEnded(out.job_id);
      }),
      { numRuns: 80 },
    );
  }, 120_000);

  it("verify_image: hostile paths, urls and job ids give clear errors", async () => {
    const args = fc.record(
      {
        path: hostileString,
        url: hostileString,
        job_id: hostileString,
        expected_size: hostileString,
        wait_seconds: number,
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(args, async (input) => {
        assertCleanOutcome(await call("verify_image", { ...input, wait_seconds: 0 }), VerifyResultSchema);
      }),
      { numRuns: 150 },
    );
  });

  it("upscale_image: hostile paths, sizes and methods give clear errors", async () => {
    const args = fc.record(
      {
        path: fc.oneof(hostileString, anything),
        size: fc.oneof(hostileString, fc.constantFrom("3840x2160", "auto", "1x1", "99999x99999"), anything),
        method: fc.oneof(hostileString, fc.constantFrom("lanczos3", "nearest")),
        return_image: fc.oneof(hostileString, fc.constantFrom("none")),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(args, async (input) => {
        assertCleanOutcome(await call("upscale_image", input), UpscaleResultSchema);
      }),
      { numRuns: 100 },
    );
  });

  it("survives deeply nested JSON arguments", async () => {
    for (const name of ["validate_size", "generate_image", "generate_batch", "verify_image", "upscale_image"]) {
      const result = await call(name, { size: nested(500), prompt: nested(500), path: nested(500) });
      expect(result.isError).toBe(true);
    }
  });

  it("wrote nothing outside the workspace, and nothing but images, records, the manifest and the job records inside", () => {
    expect(readdirSync(dirname(h.workspace))).toEqual(parentBefore);
    for (const name of readdirSync(h.workspace)) {
      expect(name).toMatch(
        /^(\d{8}-\d{6}-[a-z0-9_-]+-[0-9a-f]{6}(-\d+){0,2}\.(png|jpg|webp|json)|manifest\.jsonl|jobs\.jsonl|\.pixelwright)$/,
      );
      if (name !== ".pixelwright") expect(statSync(join(h.workspace, name)).isFile()).toBe(true);
    }
    // The state folder holds the job book, and no staged input outlives its job.
    expect(
      readdirSync(join(h.workspace, ".pixelwright"))
        .filter((n) => !/^state\.db(-wal|-shm)?$/.test(n))
        .sort(),
    ).toEqual(["inputs", "previews"]);
    for (const name of readdirSync(join(h.workspace, ".pixelwright", "previews")))
      expect(name).toMatch(/^[0-9a-f]{64}\.json$/);
    expect(readdirSync(join(h.workspace, ".pixelwright", "inputs"))).toEqual([]);
  });
});
