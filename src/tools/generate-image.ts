import { z } from "zod";
import type { Config } from "../config.js";
import { PRESETS } from "../contract/presets.js";
import type { GenerateArgs } from "../contract/request.js";
import { headline } from "../contract/results.js";
import { type GenerationResult, GenerationResultSchema, STRATEGIES } from "../contract/schemas.js";
import type { Runtime } from "../runtime.js";
import type { GenerateOptions } from "../usecases/service.js";
import { imageContent, type KeptPreviews, type ReturnImage } from "./content.js";
import { defineTool, type ToolExtra } from "./define.js";
import { progressReporter } from "./progress.js";

/** A GIF's animation (gpt-image-2.6; output_format gif only). */
const GIF_INPUT = {
  frame_count: z
    .number()
    .int()
    .min(2)
    .max(16)
    .optional()
    .describe(
      "output_format gif only: frames of the animation, 2-16 (the API's default 9); verified in the saved file",
    ),
  frame_duration_ms: z
    .number()
    .int()
    .min(10)
    .max(655_350)
    .optional()
    .describe("output_format gif only: each frame's delay in ms (the API's default 200, rounded to 10 ms)"),
};

/** The arguments of generate_image (and of its task). */
export function generateInput(config: Config) {
  return {
    prompt: z.string().min(1).max(32_000).describe("what to draw; it never sets the resolution"),
    size: z
      .string()
      .max(100)
      .optional()
      .describe(
        `WIDTHxHEIGHT, a preset (${PRESETS.map((p) => p.name).join(", ")}), a gateway tier like 16:9(4K), or auto; default 1024x1024`,
      ),
    model: z.string().max(200).optional().describe(`image model; default ${config.model}`),
    route: z
      .enum(["images", "responses"])
      .optional()
      .describe(
        "images (default): the Images API, when the output is the file; responses: a text model calls the image_generation tool, when the image is one step of an assistant flow (adds assistant_text and revised_prompt)",
      ),
    responses_model: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe(`route responses: the text model (default ${config.responsesModel})`),
    quality: z.enum(["low", "medium", "high", "xhigh", "max", "auto"]).optional().describe("default auto"),
    output_format: z
      .enum(["png", "jpeg", "webp", "gif", "svg"])
      .optional()
      .describe("default png; gif on gpt-image-2.6 only; svg is refused (a vector has no pixel size to verify)"),
    output_compression: z.number().int().min(0).max(100).optional().describe("0-100, jpeg and webp only"),
    background: z.enum(["auto", "opaque", "transparent"]).optional().describe("transparent needs png or webp"),
    n: z.number().int().min(1).max(10).optional().describe("number of images, 1-10; default 1"),
    reference_images: z
      .array(z.string().min(1).max(4096))
      .max(16)
      .optional()
      .describe("paths of input images (inside the workspace or an allowed read root): uses the edit endpoint"),
    mask: z
      .string()
      .min(1)
      .max(4096)
      .optional()
      .describe("PNG with alpha, same size as the first reference image; transparent where the edit goes"),
    markup: z
      .string()
      .min(1)
      .max(4096)
      .optional()
      .describe(
        "gpt-image-2.5 edits: a PNG the size of the first reference image, transparent except what is drawn to guide the edit; not with mask",
      ),
    input_fidelity: z.enum(["high", "low"]).optional().describe("edits only, and only on models that accept it"),
    moderation: z.enum(["auto", "low"]).optional(),
    complexity: z
      .enum(["low", "medium", "high"])
      .optional()
      .describe("gpt-image-2.6 only: how busy the image is (the model's default is high)"),
    ...GIF_INPUT,
    edit_of: z
      .string()
      .min(1)
      .max(4096)
      .optional()
      .describe(
        "edit an image made earlier: its job_id or its saved path. Images route: it becomes the first reference image; responses route, made there: a follow-up turn of that answer",
      ),
    filename: z
      .string()
      .min(1)
      .max(120)
      .optional()
      .describe("a name stem for the saved file (sanitized; never a path)"),
    partial_images: z.number().int().min(0).max(3).optional().describe("stream 0-3 partial images as progress"),
    wait_seconds: z
      .number()
      .min(0)
      .max(600)
      .optional()
      .describe(`how long this call waits (default ${config.waitSeconds}, 0 returns at once)`),
    return_image: z
      .enum(["preview", "none", "full"])
      .optional()
      .describe("preview (default): a small JPEG/WebP; full: the file itself when under 1 MiB; none: no image block"),
    strategy: z
      .enum(STRATEGIES)
      .optional()
      .describe(
        "native (default): the model renders the size; master: a stable master (e.g. 2560x1440) upscaled locally to the size, for stable composition and many variants; auto: native, then a local upscale or a master when native fails or is short",
      ),
    dry_run: z.boolean().optional().describe("validate and estimate cost without generating"),
    confirm_spend: z
      .boolean()
      .optional()
      .describe("the person already agreed to the cost: skip the PIXELWRIGHT_CONFIRM_ABOVE_USD question"),
    fresh: z
      .boolean()
      .optional()
      .describe("force a new generation even if an identical request ran in the last 10 minutes"),
  };
}

type GenerateInput = z.infer<z.ZodObject<ReturnType<typeof generateInput>>>;

export function generateImageTool(runtime: Runtime) {
  const { config, images } = runtime;
  return defineTool({
    name: "generate_image",
    title: "Generate an image",
    kind: "generate",
    description: [
      "Generate (or, with reference_images, edit) an image with an OpenAI GPT image model. This is a paid call.",
      "Every argument is checked locally first; an invalid size, quality, background or file is refused before anything is sent.",
      "The image is saved to the server's workspace, measured from the saved file, and the first sentence of the result says what was delivered.",
      `The call waits up to wait_seconds (default ${config.waitSeconds}). If the image is not ready by then the result has status "running" and a job_id: call verify_image with that job_id to wait for and collect it. Never call generate_image again for the same image: identical requests return the running job instead of paying twice (fresh: true forces a new one).`,
      "Once the request is sent, cancelling this call (or the client timing out) does not stop the paid job: it finishes, saves and stays collectable by job_id (named in every progress message) and by path; only a job not yet sent is dropped.",
      "Sizes: only the size argument sets the resolution, never the prompt. 3840x2160 is the largest 16:9 size and is experimental (slower, 60-180 s); use validate_size when unsure.",
      "strategy: native (default) asks the model for the size itself; master generates the largest stable size of the same shape (e.g. 2560x1440 for 3840x2160) for one paid call and upscales it locally to the size (both files kept, upscaled: true); auto tries native and, if it fails or comes back smaller, makes the size from what is there (a delivered file is upscaled for free; a failure gets a master). Every result says its decision.",
      'To change an image just made ("now make the sky orange"), pass edit_of with its job_id or path and describe the change; the record keeps the chain of edits.',
      "Use dry_run: true to check a request and see its cost estimate (every strategy side by side, and the spend cap, when set) without generating.",
    ].join(" "),
    input: generateInput(config),
    output: GenerationResultSchema,
    handler: async (args, extra) => {
      const { request, returnImage, options } = await splitCall(args, extra, args.wait_seconds ?? config.waitSeconds);
      const onProgress = progressReporter(extra);
      const result = await images.generate(request, {
        ...options,
        signal: extra.signal,
        ...(onProgress ? { onProgress } : {}),
      });
      return presentGeneration(result, returnImage, images.keptPreview);
    },
    task: {
      // A task starts the job and returns at once; the job outlives the request that created it.
      start: async (args, extra) => {
        const { request, returnImage, options } = await splitCall(args as GenerateInput, extra, 0);
        const result = await images.generate(request, options);
        if (result.status === "running" && result.job_id) return { jobId: result.job_id };
        return { done: await presentGeneration(result, returnImage, images.keptPreview) };
      },
      present: async (jobId, args, note) => {
        const result = await images.collect(jobId, { waitSeconds: 0 });
        const noted = note ? { ...result, caveats: [...result.caveats, note] } : result;
        return presentGeneration(noted, (args as GenerateInput).return_image ?? "preview", images.keptPreview);
      },
    },
  });
}

/** A call's arguments as the request and how to run it: the same for a call and a task's start. */
async function splitCall(
  args: GenerateInput,
  extra: Pick<ToolExtra, "access" | "confirm">,
  waitSeconds: number,
): Promise<{ request: GenerateArgs; returnImage: ReturnImage; options: GenerateOptions }> {
  const { wait_seconds: _wait, return_image, dry_run, fresh, filename, confirm_spend, strategy, ...request } = args;
  const returnImage = return_image ?? "preview";
  const options: GenerateOptions = {
    confirmSpend: confirm_spend,
    ...(extra.confirm ? { confirm: extra.confirm } : {}),
    waitSeconds,
    filename,
    dryRun: dry_run,
    fresh,
    strategy,
    workspaceOnly: await extra.access(),
    warmPreview: returnImage === "preview",
  };
  return { request, returnImage, options };
}

/** What a generate_image call returns for a result: the same for a call, a task's result and a reused job. */
export async function presentGeneration(result: GenerationResult, returnImage: ReturnImage, kept?: KeptPreviews) {
  const { content, notes } = await imageContent(result.images, returnImage, new Map(), kept);
  const structured = notes.length ? { ...result, caveats: [...result.caveats, ...notes] } : result;
  return { structured, summary: headline(structured), content };
}
