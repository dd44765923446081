// The client's roots: folders the user opened in the client. When the client advertises roots, they become read
// roots for a request's reference_images, mask, markup and verify_image paths, under the same jail rules. A 2025-11-25
// connection is asked with roots/list once initialized and again on notifications/roots/list_changed; a 2026-07-28
// request carries them as the answer to an input-required question (tools/asking.ts). Remote (HTTP) connections
// never use them.

import { fileURLToPath } from "node:url";
import type { McpServer } from "@modelcontextprotocol/server";
import type { Logger } from "../log.js";
import type { ReadAccess } from "../workspace/workspace.js";

/** What a tool asks for before it reads a file a request names. */
export type AccessOf = () => Promise<ReadAccess>;

/** Local folders from file:// root URIs; anything else is ignored. */
export function rootFolders(uris: readonly string[]): string[] {
  const folders: string[] = [];
  for (const uri of uris) {
    try {
      if (uri.startsWith("file:")) folders.push(fileURLToPath(uri));
    } catch {
      // not a local file URI
    }
  }
  return folders;
}

/** Follows a 2025-11-25 connection's roots; the returned function gives the read access for a request. */
export function followRoots(server: McpServer, logger: Logger): AccessOf {
  let roots: readonly string[] = [];
  let pending: Promise<void> = Promise.resolve();
  const refresh = () => {
    if (!server.server.getClientCapabilities()?.roots) return;
    pending = server.server
      .listRoots()
      .then((answer) => {
        roots = rootFolders(answer.roots.map((r) => r.uri));
        logger.info({ roots }, "client roots");
      })
      .catch((err: unknown) => logger.warn({ err }, "roots/list failed; client roots not used"));
  };
  server.server.oninitialized = refresh;
  server.server.setNotificationHandler("notifications/roots/list_changed", async () => refresh());
  return async () => {
    await pending;
    return roots.length > 0 ? { clientRoots: roots } : false;
  };
}
