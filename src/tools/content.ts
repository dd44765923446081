// What goes back to the agent besides the JSON: bounded previews (or the full file when it is small), and a
// resource link per image so clients can fetch the full file on demand. Sized for the strictest client.

import type { ContentBlock } from "@modelcontextprotocol/server";
import { mimeType } from "../contract/formats.js";
import type { ImageReport } from "../contract/schemas.js";
import {
  FULL_MAX_BASE64,
  type InlineImage,
  inlineFull,
  makePreview,
  PREVIEW_MAX_BASE64,
  PREVIEW_MAX_EDGE,
} from "../imaging/preview.js";

export type ReturnImage = "preview" | "none" | "full";

/** All inline images of one result together stay under this, far below Claude Desktop's 1 MiB cap. */
const TOTAL_INLINE_BASE64 = 700_000;

/** The largest JSON-RPC message over stdio: the official SDK readers cap messages at 10 MiB; 8 MiB leaves room. */
export const STDIO_MAX_MESSAGE_BYTES = 8 * 1_048_576;
const ENVELOPE_BYTES = 4096;

const mib = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MiB`;

/** Whether a file's base64 blob, in a resources/read answer, stays within a message cap. */
export function fitsInMessage(bytes: number, maxMessageBytes: number): boolean {
  return Math.ceil(bytes / 3) * 4 + ENVELOPE_BYTES <= maxMessageBytes;
}

/** The sentence for a file too large to send in one message: its path and size, and what to do instead. */
export function tooLargeForMessage(path: string, bytes: number, maxMessageBytes = STDIO_MAX_MESSAGE_BYTES): string {
  return `${path} is ${mib(bytes)}: as base64 it would exceed the ${mib(maxMessageBytes)} a stdio message may carry, so it is not sent over stdio; open the file at that path instead.`;
}

function describe(image: ImageReport): string {
  const state = image.verified ? "verified" : image.requested_size ? "NOT verified" : "measured";
  const about = `${image.width}x${image.height} ${image.format.toUpperCase()}, ${mib(image.bytes)} (${state})`;
  // Said up front, so a stdio client does not try to read a resource it cannot receive.
  if (fitsInMessage(image.bytes, STDIO_MAX_MESSAGE_BYTES)) return about;
  return `Too large to read over stdio (${mib(image.bytes)}, over ${mib(STDIO_MAX_MESSAGE_BYTES)}): open ${image.path}. ${about}`;
}

/** Previews kept by the process that saved the images (by sha256), so none has to decode a 4K file again. */
export type KeptPreviews = (image: ImageReport) => Promise<InlineImage | null>;

const NONE_KEPT: KeptPreviews = async () => null;

/**
 * `held`: bytes already read (by descriptor) for some paths; those are never read again by name. `kept`: the
 * default previews the saving process kept.
 */
export async function imageContent(
  images: ImageReport[],
  mode: ReturnImage,
  held: ReadonlyMap<string, Buffer> = new Map(),
  kept: KeptPreviews = NONE_KEPT,
): Promise<{ content: ContentBlock[]; notes: string[] }> {
  const content: ContentBlock[] = [];
  const notes: string[] = [];
  const perImage = Math.min(PREVIEW_MAX_BASE64, Math.floor(TOTAL_INLINE_BASE64 / Math.max(1, images.length)));
  const edge = images.length > 4 ? 512 : 1024;
  let fullBudget = FULL_MAX_BASE64;
  for (const image of images) {
    const bytes = held.get(image.path);
    try {
      if (mode === "full") {
        const full =
          fullBudget > 0 ? await inlineFull(image.path, image.format, image.width, image.height, bytes) : null;
        if (full && full.data.length <= fullBudget) {
          fullBudget -= full.data.length;
          content.push({ type: "image", data: full.data, mimeType: full.mimeType });
        } else {
          const preview = await makePreview(image.path, image.has_alpha, perImage, edge, bytes);
          content.push({ type: "image", data: preview.data, mimeType: preview.mimeType });
          notes.push(
            `${image.path} is too large to inline (over 1 MiB as base64): a ${preview.width}x${preview.height} preview is shown; read ${image.uri} or the file for the full image.`,
          );
        }
      } else if (mode === "preview") {
        const standard = perImage === PREVIEW_MAX_BASE64 && edge === PREVIEW_MAX_EDGE;
        const preview =
          (standard ? await kept(image) : null) ??
          (await makePreview(image.path, image.has_alpha, perImage, edge, bytes));
        content.push({ type: "image", data: preview.data, mimeType: preview.mimeType });
      }
    } catch (err) {
      // The saved file was replaced (by a link, say) or removed since it was measured: no bytes of whatever is there now.
      const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
      notes.push(`${image.path} can no longer be read as it was saved (${code}): no inline image is shown.`);
    }
    content.push({
      type: "resource_link",
      uri: image.uri,
      name: image.path.slice(image.path.lastIndexOf("/") + 1),
      mimeType: mimeType(image.format),
      description: describe(image),
    });
  }
  return { content, notes };
}
