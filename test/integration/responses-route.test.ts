import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GenerationResult } from "../../src/contract/results.js";
import { VARIANTS } from "../../src/simulator/knobs.js";
import { connectWithSimulator, type SimHarness } from "../helpers/simulated.js";

const asResult = (r: unknown) => (r as { structuredContent: GenerationResult }).structuredContent;

describe("the Responses route reads images and partial images from the byte stream", () => {
  let h: SimHarness;
  beforeAll(async () => {
    h = await connectWithSimulator();
  });
  afterAll(async () => h.close());
  beforeEach(() => h.sim.reset());

  for (const variant of VARIANTS) {
    it(`saves and verifies the image of a plain answer in the ${variant} dialect`, async () => {
      h.sim.setGateway({ variants: [variant] });
      const out = asResult(
        await h.call("generate_image", {
          prompt: `responses ${variant}`,
          route: "responses",
          size: "1536x1024",
          return_image: "none",
        }),
      );
      expect(out).toMatchObject({ status: "completed", route: "responses" });
      expect(out.images[0]).toMatchObject({ width: 1536, height: 1024, verified: true });
      expect(await sharp(out.images[0]?.path).metadata()).toMatchObject({ width: 1536, height: 1024 });
      expect(h.sim.stats.imageRequests).toBe(1);
    });

    it(`hands every partial image on and saves the final one in the ${variant} dialect`, async () => {
      h.sim.setGateway({ variants: [variant] });
      const messages: string[] = [];
      const result = await h.client.callTool(
        {
          name: "generate_image",
          arguments: { prompt: `streamed ${variant}`, route: "responses", partial_images: 2, return_image: "none" },
        },
        { onprogress: (p) => messages.push(p.message ?? "") },
      );
      const out = asResult(result);
      expect(out.status).toBe("completed");
      expect(out.images[0]?.verified).toBe(true);
      expect(messages.filter((m) => /partial image \d of 2/.test(m))).toHaveLength(2);
      expect(h.sim.stats.imageRequests).toBe(1);
    });
  }
});
