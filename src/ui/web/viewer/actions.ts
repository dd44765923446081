// The actions that make sense in a chat: copy the path, open the production record, upscale to a valid size.
// Upscaling calls upscale_image through the host, and is offered only when the server has that tool.

import type { App } from "@modelcontextprotocol/ext-apps";
import { byId } from "../shared/dom.js";
import { fileName, type ImageFacts } from "../shared/truth.js";
import { type ToolResultLike, upscaleTarget } from "./model.js";

export interface Actions {
  update(image: ImageFacts): void;
}

export function recordUri(name: string): string {
  return `pixelwright://records/${encodeURIComponent(name)}`;
}

export function setupActions(app: App, tools: string[], onResult: (r: ToolResultLike) => void): Actions {
  const copy = byId<HTMLButtonElement>("copy");
  const record = byId<HTMLButtonElement>("record");
  const upscale = byId<HTMLButtonElement>("upscale");
  const pathRow = byId("path-row");
  const pathBox = byId<HTMLInputElement>("path");
  const panel = byId("record-panel");
  const note = byId("action-note");
  let image: ImageFacts | null = null;

  copy.addEventListener("click", async () => {
    const path = image?.path ?? "";
    pathBox.value = path;
    try {
      await navigator.clipboard.writeText(path);
      note.textContent = "Path copied.";
    } catch {
      // Hosts may not grant clipboard access to the frame: show the path selected, ready to copy by hand.
      pathRow.hidden = false;
      pathBox.select();
      note.textContent = "Select and copy the path.";
    }
  });

  record.addEventListener("click", async () => {
    if (!panel.hidden) {
      panel.hidden = true;
      return;
    }
    const name = image ? fileName(image) : "";
    let text = "";
    try {
      const res = await app.readServerResource({ uri: recordUri(name) });
      const item = res.contents[0] as { text?: string } | undefined;
      text = item?.text ?? "";
    } catch (err) {
      text = `No production record could be read for ${name}: ${err instanceof Error ? err.message : String(err)}`;
    }
    panel.textContent = text;
    panel.hidden = false;
  });

  upscale.addEventListener("click", async () => {
    const target = image?.width && image.height ? upscaleTarget(image.width, image.height) : null;
    if (!image?.path || !target) return;
    upscale.disabled = true;
    note.textContent = `Upscaling to ${target.width}x${target.height}…`;
    try {
      const result = (await app.callServerTool({
        name: "upscale_image",
        arguments: { path: image.path, size: `${target.width}x${target.height}` },
      })) as ToolResultLike;
      note.textContent = "";
      onResult(result);
    } catch (err) {
      note.textContent = `Upscale failed: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      upscale.disabled = false;
    }
  });

  return {
    update(next) {
      image = next;
      panel.hidden = true;
      pathRow.hidden = true;
      note.textContent = "";
      copy.hidden = !next.path;
      const target = next.width && next.height ? upscaleTarget(next.width, next.height) : null;
      upscale.hidden = !tools.includes("upscale_image") || !target || !next.path;
      if (target) upscale.textContent = `Upscale to ${target.width}x${target.height}`;
    },
  };
}
