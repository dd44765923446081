// The MCP App resource: ui://pixelwright/viewer.html, linked from the image tools through _meta.ui.resourceUri.
// Hosts without MCP Apps never read it; their results are unchanged.

import { RESOURCE_MIME_TYPE, RESOURCE_URI_META_KEY, registerAppResource } from "@modelcontextprotocol/ext-apps/server";
import { type McpServer, ResourceNotFoundError, ResourceTemplate } from "@modelcontextprotocol/server";
import type { Workspace } from "../workspace/workspace.js";
import { renderPage } from "./assets.js";

export const VIEWER_URI = "ui://pixelwright/viewer.html";

/** Full files up to this size are read through the host; base64 of 5 MiB stays well under an 8 MiB message. */
export const VIEWER_FULL_MAX_BYTES = 5 * 1024 * 1024;

/** The tools whose results the viewer shows (upscale_image when the server has it). */
export const VIEWER_TOOLS: readonly string[] = ["generate_image", "verify_image", "upscale_image"];

/** `_meta` for a tool whose results the viewer shows (and the older hosts' flat key, as registerAppTool writes it). */
export const VIEWER_TOOL_META = { ui: { resourceUri: VIEWER_URI }, [RESOURCE_URI_META_KEY]: VIEWER_URI };

export function viewerHtml(tools: string[]): Promise<string> {
  return renderPage("viewer", { tools, fullMaxBytes: VIEWER_FULL_MAX_BYTES });
}

/** Registers the viewer; `tools` are the server's tool names, so the view offers only actions that exist. */
export function registerViewer(server: McpServer, tools: () => string[]): void {
  registerAppResource(
    server,
    "viewer",
    VIEWER_URI,
    {
      title: "pixelwright image viewer",
      description: "Shows a generated image at full size with its measured truth (MCP Apps view).",
      mimeType: RESOURCE_MIME_TYPE,
    },
    async () => ({
      contents: [
        {
          uri: VIEWER_URI,
          mimeType: RESOURCE_MIME_TYPE,
          text: await viewerHtml(tools()),
          _meta: { ui: { csp: {}, permissions: { clipboardWrite: {} }, prefersBorder: true } },
        },
      ],
    }),
  );
}

/** The production record of a workspace image (its sidecar), for the viewer's "Production record" action. */
export function registerRecords(server: McpServer, workspace: Workspace): void {
  server.registerResource(
    "records",
    new ResourceTemplate("pixelwright://records/{name}", { list: undefined }),
    {
      title: "Production records",
      description: "The production record (sidecar JSON) of a workspace image, by the image's file name.",
      mimeType: "application/json",
    },
    async (uri, variables) => {
      const name = decodeURIComponent(String(variables.name ?? ""));
      const path = await workspace.imagePath(name);
      const record = path ? await workspace.readSidecar(path) : null;
      if (!record) throw new ResourceNotFoundError(uri.href, `No production record for '${name}' in the workspace.`);
      return { contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(record, null, 2) }] };
    },
  );
}
