import { randomBytes } from "node:crypto";
import { EXTENSION_ID as APPS_EXTENSION } from "@modelcontextprotocol/ext-apps/server";
import {
  type CacheHint,
  McpServer,
  ProtocolError,
  ProtocolErrorCode,
  ResourceNotFoundError,
  ResourceTemplate,
} from "@modelcontextprotocol/server";
import { mimeType } from "./contract/formats.js";
import { toToolError } from "./errors.js";
import { SERVER_ICONS } from "./icon.js";
import type { Runtime } from "./runtime.js";
import { callResult, installToolCalls, type ToolSet, toolSet } from "./tools/calls.js";
import { fitsInMessage, tooLargeForMessage } from "./tools/content.js";
import { allTools } from "./tools/index.js";
import { builtListing, listingKey } from "./tools/listing-cache.js";
import { followRoots } from "./tools/roots.js";
import { jobsForTasks } from "./tools/task-jobs.js";
import {
  installExtensionTaskMethods,
  installLegacyTaskMethods,
  LEGACY_TASK_CAPABILITIES,
  TASKS_EXTENSION,
} from "./tools/task-methods.js";
import { supportsTasks, TaskBook } from "./tools/tasks.js";
import { registerRecords, registerViewer } from "./ui/viewer-resource.js";
import { imageUri } from "./usecases/generate/save.js";
import { VERSION } from "./version.js";

export const INSTRUCTIONS = [
  "Use validate_size (free) when a size is in doubt, then generate_image, which checks everything locally before the paid call and saves, measures and verifies every image; only the size argument sets the resolution, never the prompt.",
  'If generate_image returns status "running" with a job_id (4K images take minutes), call verify_image with that job_id to wait for and collect the result, and never call generate_image again for the same image: that would pay twice.',
  "Report the first sentence of each result to the user: it states the measured size of the saved file, and says loudly when it differs from what was asked.",
].join(" ");

/** The tool list and the templates change only with the server's version: any client may keep them an hour. */
const STABLE: CacheHint = { ttlMs: 3_600_000, cacheScope: "public" };
const CACHE_HINTS = { "tools/list": STABLE, "resources/templates/list": STABLE, "server/discover": STABLE };

/** What every connection of one process shares: the tools (built once) and the task book. */
interface ProcessParts {
  tools: ToolSet;
  book: TaskBook;
}

const parts = new WeakMap<Runtime, ProcessParts>();

function partsOf(runtime: Runtime): ProcessParts {
  let found = parts.get(runtime);
  if (!found) {
    const tools = toolSet(allTools(runtime), builtListing(listingKey(runtime.config)));
    // A generation job in the shared book is a generate_image task, whichever process made it.
    const generate = tools.byName.get("generate_image")?.tool;
    const toolFor = (kind: string) =>
      kind === "generate" && generate && supportsTasks(generate) ? generate : undefined;
    const book = new TaskBook(
      jobsForTasks(runtime.images),
      callResult,
      (err) => toToolError(err, runtime.logger),
      toolFor,
    );
    found = { tools, book };
    parts.set(runtime, found);
  }
  return found;
}

export interface ConnectionOptions {
  /** The protocol era this server instance serves: 2025-11-25 and earlier (legacy) or 2026-07-28 (modern). */
  era?: "legacy" | "modern";
  /** A remote (HTTP) connection: tool inputs may name files in the workspace only. */
  remote?: boolean;
  /** The largest message the transport may send (stdio: 8 MiB); a resource that would not fit is refused. */
  maxMessageBytes?: number;
}

/** One McpServer per connection (stdio) or request (HTTP), all sharing the process-wide runtime. */
export function createServer(runtime: Runtime, connection: ConnectionOptions = {}): McpServer {
  const { tools, book } = partsOf(runtime);
  const era = connection.era ?? "legacy";
  const remote = connection.remote === true;
  // Over HTTP every request is a new server: tasks belong to the HTTP callers together; otherwise to this connection.
  const scope = remote ? "http" : `connection-${randomBytes(16).toString("hex")}`;
  const server = new McpServer(
    { name: "pixelwright", title: "pixelwright", version: VERSION, icons: SERVER_ICONS },
    {
      instructions: INSTRUCTIONS,
      capabilities: {
        tools: {},
        resources: {},
        // 2025-11-25 negotiates tasks and logging as capabilities; 2026-07-28 has the Tasks extension and no logging.
        ...(era === "legacy" ? { logging: {}, tasks: LEGACY_TASK_CAPABILITIES } : {}),
        extensions: { [APPS_EXTENSION]: {}, ...(era === "modern" ? { [TASKS_EXTENSION]: {} } : {}) },
      },
      cacheHints: CACHE_HINTS,
    },
  );
  const connectionRoots = era === "legacy" && !remote ? followRoots(server, runtime.logger) : undefined;
  installToolCalls(server, tools, {
    era,
    remote,
    book,
    scope,
    logger: runtime.logger,
    ...(connectionRoots ? { connectionRoots } : {}),
  });
  if (era === "legacy") installLegacyTaskMethods(server, book, scope);
  else installExtensionTaskMethods(server, book, scope);
  registerImageResources(server, runtime, connection.maxMessageBytes);
  registerViewer(server, () => tools.tools.map((t) => t.name));
  registerRecords(server, runtime.workspace);
  return server;
}

/** The workspace as resources: pixelwright://images/{name} gives the full file on demand. */
function registerImageResources(server: McpServer, runtime: Runtime, maxMessageBytes?: number): void {
  const { workspace } = runtime;
  server.registerResource(
    "images",
    new ResourceTemplate("pixelwright://images/{name}", {
      list: async () => ({
        resources: (await workspace.listImages(100)).map((name) => ({
          uri: imageUri(name),
          name,
          mimeType: mimeType(name.slice(name.lastIndexOf(".") + 1)),
        })),
      }),
    }),
    {
      title: "Generated images",
      description: "Images saved in the pixelwright workspace, newest first.",
    },
    async (uri, variables) => {
      const name = decodeURIComponent(String(variables.name ?? ""));
      const size = await workspace.imageSize(name);
      if (size && maxMessageBytes !== undefined && !fitsInMessage(size.bytes, maxMessageBytes)) {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidRequest,
          tooLargeForMessage(size.path, size.bytes, maxMessageBytes),
        );
      }
      const file = await workspace.readImage(name);
      if (!file) throw new ResourceNotFoundError(uri.href, `No image named '${name}' in the workspace.`);
      return { contents: [{ uri: uri.href, mimeType: file.mimeType, blob: file.bytes.toString("base64") }] };
    },
  );
}
