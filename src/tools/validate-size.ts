import { z } from "zod";
import { activeModels } from "../contract/models.js";
import { PRESETS } from "../contract/presets.js";
import { SizeReportSchema } from "../contract/schemas.js";
import { summarizeSizeReport, validateSize } from "../contract/sizes.js";
import { defineTool } from "./define.js";

const presetList = PRESETS.map((p) => `${p.name} (${p.width}x${p.height})`).join(", ");

export function validateSizeTool(defaultModel: string) {
  return defineTool({
    name: "validate_size",
    title: "Validate an image size",
    kind: "pure",
    description:
      "Check an image size against a GPT image model's size rules before paying for a generation. Free and instant. " +
      "Returns every violated rule, the pixel count, the aspect ratio, whether the size is experimental (above " +
      "2560x1440), and valid suggestions (nearest valid size first; for experimental sizes also the largest stable " +
      `size of the same shape). Accepts 3840x2160, 3840×2160, 3840 x 2160, presets (${presetList}), gateway tiers ` +
      "such as 16:9(4K), or auto. The prompt never sets the resolution; only the size does.",
    input: {
      size: z.string().max(10_000).describe("WIDTHxHEIGHT, a preset name, a gateway tier like 16:9(4K), or auto"),
      model: z
        .string()
        .max(200)
        .optional()
        .describe(
          `image model (default ${defaultModel}); known: ${activeModels()
            .map((m) => m.id)
            .join(", ")}`,
        ),
    },
    output: SizeReportSchema,
    handler: async ({ size, model }) => {
      const report = validateSize(size, model ?? defaultModel);
      return { structured: report, summary: summarizeSizeReport(report) };
    },
  });
}
