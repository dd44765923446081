// The MCP App resource: ui://pixelwright/viewer.html, linked from the image tools through _meta.ui.resourceUri.
// Hosts without MCP Apps never read it; their results are unchanged.

import { RESOURCE_MIME_TYPE, registerAppResource } from "@modelcontextprotocol/ext-apps/server";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { renderPage } from "./assets.js";

export const VIEWER_URI = "ui://pixelwright/viewer.html";

/** Full files up to this size are read through the host; base64 of 5 MiB stays well under an 8 MiB message. */
export const VIEWER_FULL_MAX_BYTES = 5 * 1024 * 1024;

/** `_meta` for a tool whose results the viewer shows. */
export const VIEWER_TOOL_META = { ui: { resourceUri: VIEWER_URI } } as const;

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
