// The request contract as data: each rule of a generate_image request is one named check, run in order. A check
// pushes a problem (refused locally, nothing sent) or a caveat (sent, with a sentence the agent sees). Pure.

import type { ActiveModel, OutputFormat } from "./model-types.js";
import { suggestedModels } from "./models.js";
import type { GenerateArgs, ProfileLimits } from "./request-args.js";
import { sizeFromWords } from "./size-words.js";
import type { SizeReport } from "./sizes.js";

/** What every request check sees, and where it writes what it finds. */
export interface CheckContext {
  args: GenerateArgs;
  model: ActiveModel;
  profile: ProfileLimits;
  size: SizeReport;
  format: OutputFormat | "svg";
  referenceImages: string[];
  /** What the request makes when no size is given. */
  defaultSize: string;
  problems: string[];
  caveats: string[];
}

/** A named rule of the request contract: pushes a problem (refused locally) or a caveat (sent, with a warning). */
export interface RequestCheck {
  name: string;
  check(ctx: CheckContext): void;
}

const argValue = (args: GenerateArgs, key: string) => (args as unknown as Record<string, unknown>)[key];

/** "a, b or c" */
function oneOf(ids: readonly string[]): string {
  return ids.length <= 1 ? (ids[0] ?? "") : `${ids.slice(0, -1).join(", ")} or ${ids.at(-1)}`;
}

function checkSize({ size, problems, caveats }: CheckContext): void {
  const ceilingOnly =
    size.tier !== null && size.violations.every((v) => v.rule === "max_pixels" || v.rule === "max_edge");
  if (!size.ok && ceilingOnly) {
    // A gateway tier is the gateway's promise: sent as named; only the measured file tells what it delivers.
    caveats.push(
      `${size.tier} promises ${size.size}, above gpt-image-2's pixel ceiling: the tier is sent as the gateway names it, the delivered size will be whatever the gateway chooses, and the measured file says what came.`,
    );
  } else if (!size.ok) {
    const rules = size.violations.map((v) => v.message).join(" ");
    const first = size.suggestions[0];
    problems.push(
      `size ${size.input}: ${rules}${first ? ` Use size "${first.size}" (${first.why}).` : ""} validate_size lists every option.`,
    );
  } else if (size.experimental) {
    caveats.push(
      `${size.size} is experimental (above 2560x1440): quality may vary and it is slower; 2560x1440-class sizes are the stable alternative.`,
    );
  }
}

function checkFormat({ model, format, args, problems }: CheckContext): void {
  if (format === "svg") {
    problems.push(
      `output_format "svg" (a vector document, offered by ${oneOf(suggestedModels((m) => m.id.startsWith("gpt-image-2.6")))}) is not something pixelwright can save and measure against a size: ask for ${oneOf(model.formats)}.`,
    );
    return;
  }
  if (!model.formats.includes(format)) {
    const takers = suggestedModels((m) => m.formats.includes(format));
    problems.push(
      `output_format "${format}" is not offered by ${model.id}; use one of ${model.formats.join(", ")}${takers.length ? `, or a model that offers it: ${oneOf(takers)}` : ""}.`,
    );
  }
  if (args.output_compression !== undefined && format !== "jpeg" && format !== "webp") {
    problems.push('output_compression applies only to jpeg and webp; drop it or set output_format "jpeg" or "webp".');
  }
}

function checkBackground({ args, model, format, problems, caveats }: CheckContext): void {
  if (args.background !== "transparent" || format === "svg") return;
  if (model.transparency === "unsupported") {
    const takers = suggestedModels((m) => m.transparency === "supported");
    const why = model.transparencyNote ? ` (${model.transparencyNote})` : "";
    problems.push(
      `${model.id} cannot make transparent backgrounds${why}. Use a model that can: ${oneOf(takers)}; or drop background.`,
    );
  } else if (!model.transparentFormats.includes(format)) {
    problems.push(
      `a transparent background needs output_format ${oneOf(model.transparentFormats.map((f) => `"${f}"`))}, not "${format}".`,
    );
  } else if (model.transparency === "preview") {
    caveats.push(`Transparent backgrounds are a preview feature on ${model.id}: check the saved file's alpha.`);
  } else if (model.transparency === "unknown") {
    caveats.push(`Transparent-background support of ${model.id} is undocumented: check the saved file's alpha.`);
  }
}

/** Parameters only some models take (gpt-image-2.6's complexity): refused on the others, naming who takes them. */
function checkModelParameters({ args, model, problems }: CheckContext): void {
  if (args.complexity === undefined) return;
  const own = model.parameters?.find((p) => p.name === "complexity");
  if (!own) {
    const takers = suggestedModels((m) => m.parameters?.some((p) => p.name === "complexity") === true);
    problems.push(
      `complexity is a parameter of ${oneOf(takers)} only; ${model.id} does not take it: use one of those models or drop complexity.`,
    );
  } else if (!own.values.includes(args.complexity)) {
    problems.push(`complexity "${args.complexity}" is not offered by ${model.id}; use ${oneOf(own.values)}.`);
  }
}

/** A GIF is an animation of frame_count frames; it is not streamed and takes no mask (the API answers 400). */
function checkGif({ args, format, problems }: CheckContext): void {
  const frameArgs = (["frame_count", "frame_duration_ms"] as const).filter((key) => args[key] !== undefined);
  if (format !== "gif") {
    if (frameArgs.length > 0) {
      problems.push(
        `${frameArgs.join(" and ")} ${frameArgs.length > 1 ? "are" : "is"} for output_format "gif" (an animation); set output_format "gif" or drop ${frameArgs.length > 1 ? "them" : "it"}.`,
      );
    }
    return;
  }
  if ((args.partial_images ?? 0) > 0) {
    problems.push(
      "a GIF is not streamed, so it has no partial images: drop partial_images or ask for png, jpeg or webp.",
    );
  }
  if (args.mask) problems.push("a GIF edit takes no mask: drop the mask or ask for png, jpeg or webp.");
}

export const REQUEST_CHECKS: readonly RequestCheck[] = [
  {
    name: "prompt",
    check: ({ args, problems }) => {
      if (args.prompt.trim() === "") problems.push("prompt is empty: describe the image to generate.");
      if (args.prompt.length > 32_000)
        problems.push(`prompt has ${args.prompt.length} characters; the limit is 32,000.`);
    },
  },
  { name: "size", check: checkSize },
  {
    name: "size_words",
    check: ({ args, defaultSize, caveats }) => {
      const words = sizeFromWords(args.prompt, Boolean(args.size?.trim()), defaultSize);
      if (words) caveats.push(words.caveat);
    },
  },
  {
    name: "quality",
    check: ({ args, model, problems }) => {
      const quality = args.quality ?? "auto";
      if (model.qualities && !model.qualities.includes(quality)) {
        problems.push(`quality "${quality}" is not offered by ${model.id}; use one of ${model.qualities.join(", ")}.`);
      }
    },
  },
  { name: "output_format", check: checkFormat },
  { name: "gif", check: checkGif },
  { name: "background", check: checkBackground },
  { name: "model_parameters", check: checkModelParameters },
  {
    name: "reference_images",
    check: ({ model, profile, referenceImages, problems }) => {
      const max = Math.min(model.maxReferenceImages, profile.maxReferenceImages ?? Number.POSITIVE_INFINITY);
      if (referenceImages.length > max) {
        const who = max < model.maxReferenceImages ? `the ${profile.name} profile` : model.id;
        problems.push(`${referenceImages.length} reference images given; ${who} takes at most ${max}.`);
      }
    },
  },
  {
    name: "route",
    check: ({ args, problems }) => {
      if ((args.route ?? "images") === "responses" && args.mask) {
        problems.push('a mask needs the Images API edit endpoint: use route "images" (the default) or drop the mask.');
      }
    },
  },
  {
    name: "profile",
    check: ({ args, profile, problems, caveats }) => {
      for (const param of profile.rejects) {
        if (argValue(args, param) !== undefined)
          problems.push(`the ${profile.name} profile refuses ${param}: remove it.`);
      }
      for (const param of profile.ignores) {
        if (argValue(args, param === "stream" ? "partial_images" : param) !== undefined) {
          caveats.push(
            `The ${profile.name} profile may ignore ${param}: the saved file is measured, so check the verdict.`,
          );
        }
      }
    },
  },
  {
    name: "markup",
    check: ({ args, model, referenceImages, problems }) => {
      if (!args.markup) return;
      if (!model.markup) {
        const takers = suggestedModels((m) => m.markup === true);
        problems.push(`markup is an overlay of ${oneOf(takers)} edits only; use one of those models or drop markup.`);
      }
      if (args.mask) problems.push("markup cannot be combined with a mask: give one of them.");
      if ((args.route ?? "images") === "responses") {
        problems.push('markup needs the Images API edit endpoint: use route "images" (the default) or drop markup.');
      } else if (referenceImages.length === 0) {
        problems.push(
          "markup is drawn over a reference image: give reference_images (or edit_of) as well (it guides the first).",
        );
      }
    },
  },
  {
    name: "mask",
    check: ({ args, referenceImages, problems }) => {
      if (args.mask && referenceImages.length === 0) {
        problems.push(
          "a mask edits a reference image: give reference_images (or edit_of) as well (the mask applies to the first).",
        );
      }
    },
  },
  {
    name: "input_fidelity",
    check: ({ args, model, referenceImages, problems }) => {
      const fidelity = args.input_fidelity;
      if (fidelity === undefined) return;
      if (model.inputFidelity === "omit") {
        problems.push(`${model.id} does not accept input_fidelity (the API answers 400): remove it.`);
      } else if (!model.inputFidelity.includes(fidelity)) {
        problems.push(
          `input_fidelity "${fidelity}" is not offered by ${model.id}; use ${model.inputFidelity.join(" or ")}.`,
        );
      } else if (referenceImages.length === 0) {
        problems.push("input_fidelity only applies to edits: give reference_images or remove it.");
      }
    },
  },
];
