import { z } from "zod";
import { UpscaleResultSchema } from "../contract/schemas.js";
import { UPSCALE_METHODS, type UpscaleMethod } from "../contract/upscale.js";
import type { Runtime } from "../runtime.js";
import { imageContent } from "./content.js";
import { defineTool } from "./define.js";
import type { AccessOf } from "./roots.js";
import { inBackground } from "./tasks.js";

interface UpscaleArgs {
  path: string;
  size: string;
  method?: UpscaleMethod | undefined;
  return_image?: "preview" | "none" | "full" | undefined;
}

export function upscaleImageTool(runtime: Runtime) {
  const { images } = runtime;
  return defineTool({
    name: "upscale_image",
    title: "Upscale an image locally",
    kind: "local",
    description: [
      "Enlarge an existing image (e.g. an approved 2560x1440 master) to a valid final size such as 3840x2160, on this machine with sharp. Free: no model is called.",
      "Saves <stem>.upscaled-<W>x<H>.<ext> in the workspace with its own production record (source path and sha256, method, factor), then measures and verifies the saved file; the result has upscaled: true and decision master+upscale.",
      "Refuses, with a sentence saying what to ask instead: a smaller size (it only enlarges), a change of aspect ratio beyond 1% (the nearest valid size of the source's shape is suggested), a size outside the model's contract, and files that are not PNG, JPEG or WebP images.",
      "method: lanczos3 (default) and cubic both give sharp's bicubic interpolation when enlarging; linear is softer; nearest keeps hard pixels.",
    ].join(" "),
    input: {
      path: z.string().min(1).max(4096).describe("the image to enlarge (in the workspace or an allowed read root)"),
      size: z
        .string()
        .min(1)
        .max(100)
        .describe("the final WIDTHxHEIGHT (or a preset), larger than the source, same shape"),
      method: z.enum(UPSCALE_METHODS).optional().describe("lanczos3 (default), cubic, linear or nearest"),
      return_image: z.enum(["preview", "none", "full"]).optional().describe("default preview"),
    },
    output: UpscaleResultSchema,
    handler: async (args, extra) => upscale(args, extra.access),
    // As an MCP task the upscale runs detached from the request that created it; its output is the task's result.
    task: inBackground((args, extra) => upscale(args as unknown as UpscaleArgs, extra.access)),
  });

  async function upscale(args: UpscaleArgs, access: AccessOf) {
    const result = await images.upscale({
      path: args.path,
      size: args.size,
      method: args.method,
      workspaceOnly: await access(),
      warmPreview: (args.return_image ?? "preview") === "preview",
    });
    const { content, notes } = await imageContent([result.image], args.return_image ?? "preview");
    const structured = notes.length ? { ...result, caveats: [...result.caveats, ...notes] } : result;
    const { image, source } = result;
    const summary = `${result.status === "verified" ? "Upscaled" : "Upscaled, but NOT verified:"} ${source.width}x${source.height} to ${image.width}x${image.height} ${image.format.toUpperCase()} (${result.factor}x, ${result.interpolation}${result.reused ? ", already made earlier" : ""}): ${image.path}.${image.mismatch ? ` ${image.mismatch}` : ""}`;
    return { structured, summary, content };
  }
}
