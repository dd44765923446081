// The actions that make sense in a chat: copy the path, open the production record, upscale to a valid size, and
// edit the image shown ("make the sky orange": generate_image with edit_of, so the record keeps the chain of edits).
// Each calls its tool through the host, and is offered only when the server has that tool.

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

/** Copy the path: to the clipboard, or shown selected when the host does not grant the frame the clipboard. */
function wireCopy(current: () => ImageFacts | null, note: HTMLElement): HTMLButtonElement {
  const copy = byId<HTMLButtonElement>("copy");
  const pathRow = byId("path-row");
  const pathBox = byId<HTMLInputElement>("path");
  copy.addEventListener("click", async () => {
    const path = current()?.path ?? "";
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
  return copy;
}

/** The production record of the image shown, read through the host, in a panel that opens and closes. */
function wireRecord(app: App, current: () => ImageFacts | null, panel: HTMLElement): void {
  const record = byId<HTMLButtonElement>("record");
  record.addEventListener("click", async () => {
    if (!panel.hidden) {
      panel.hidden = true;
      return;
    }
    const image = current();
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
}

export function setupActions(app: App, tools: string[], onResult: (r: ToolResultLike) => void): Actions {
  const upscale = byId<HTMLButtonElement>("upscale");
  const pathRow = byId("path-row");
  const panel = byId("record-panel");
  const note = byId("action-note");
  const editRow = byId("edit-row");
  const editPrompt = byId<HTMLInputElement>("edit-prompt");
  const edit = byId<HTMLButtonElement>("edit");
  let image: ImageFacts | null = null;
  const copy = wireCopy(() => image, note);
  wireRecord(app, () => image, panel);

  /** Calls a tool through the host with its button held down, and shows what it returns (or why it failed). */
  const callTool = async (button: HTMLButtonElement, call: { name: string; arguments: object }, doing: string) => {
    button.disabled = true;
    note.textContent = doing;
    try {
      const result = (await app.callServerTool({
        name: call.name,
        arguments: call.arguments as Record<string, unknown>,
      })) as ToolResultLike;
      note.textContent = "";
      onResult(result);
      return true;
    } catch (err) {
      note.textContent = `${doing.replace(/…$/, "")} failed: ${err instanceof Error ? err.message : String(err)}`;
      return false;
    } finally {
      button.disabled = false;
    }
  };

  upscale.addEventListener("click", async () => {
    const target = image?.width && image.height ? upscaleTarget(image.width, image.height) : null;
    if (!image?.path || !target) return;
    const size = `${target.width}x${target.height}`;
    await callTool(upscale, { name: "upscale_image", arguments: { path: image.path, size } }, `Upscaling to ${size}…`);
  });

  // A button and the Enter key, not a form: hosts sandbox the view without allow-forms, so a submit never fires.
  const runEdit = async () => {
    const prompt = editPrompt.value.trim();
    if (!image?.path || !prompt) {
      note.textContent = "Describe the change to make first.";
      return;
    }
    const call = { name: "generate_image", arguments: { prompt, edit_of: image.path } };
    if (await callTool(edit, call, "Editing…")) editPrompt.value = "";
  };
  edit.addEventListener("click", () => void runEdit());
  editPrompt.addEventListener("keydown", (event) => {
    if (event.key === "Enter") void runEdit();
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
      editRow.hidden = !tools.includes("generate_image") || !next.path;
    },
  };
}
