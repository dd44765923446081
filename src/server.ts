import { randomBytes } from "node:crypto";
import { registerAppTool } from "@modelcontextprotocol/ext-apps/server";
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { mimeType } from "./contract/formats.js";
import { toToolError } from "./errors.js";
import type { Logger } from "./log.js";
import type { Runtime } from "./runtime.js";
import { callResult, installToolCalls, portable, TASK_CAPABILITIES } from "./tools/calls.js";
import { fitsInMessage, tooLargeForMessage } from "./tools/content.js";
import { type AnyTool, KIND_ANNOTATIONS, type ToolExtra } from "./tools/define.js";
import { allTools } from "./tools/index.js";
import { followRoots } from "./tools/roots.js";
import { TaskBook } from "./tools/tasks.js";
import { registerRecords, registerViewer, VIEWER_TOOL_META, VIEWER_TOOLS } from "./ui/viewer-resource.js";
import { imageUri } from "./usecases/generate/save.js";
import type { SpendConfirmer } from "./usecases/spend-guard.js";
import { VERSION } from "./version.js";

export const INSTRUCTIONS = [
  "Use validate_size (free) when a size is in doubt, then generate_image, which checks everything locally before the paid call and saves, measures and verifies every image; only the size argument sets the resolution, never the prompt.",
  'If generate_image returns status "running" with a job_id (4K images take minutes), call verify_image with that job_id to wait for and collect the result, and never call generate_image again for the same image: that would pay twice.',
  "Report the first sentence of each result to the user: it states the measured size of the saved file, and says loudly when it differs from what was asked.",
].join(" ");

function register(server: McpServer, tool: AnyTool, logger: Logger): void {
  const config = {
    title: tool.title,
    description: tool.description,
    // Closed, as tools/list advertises (additionalProperties: false): a misspelt argument is refused, not ignored.
    inputSchema: z.strictObject(tool.input),
    outputSchema: tool.output,
    annotations: { title: tool.title, ...KIND_ANNOTATIONS[tool.kind] },
  };
  // The image tools name the MCP App viewer; hosts without MCP Apps ignore _meta and get the same result.
  if (VIEWER_TOOLS.includes(tool.name))
    registerAppTool(server, tool.name, { ...config, _meta: VIEWER_TOOL_META }, handle);
  else server.registerTool(tool.name, config, handle);

  async function handle(args: Record<string, unknown>, extra: ToolExtra): Promise<CallToolResult> {
    try {
      return callResult(await tool.handler(args, extra));
    } catch (err) {
      return toToolError(err, logger);
    }
  }
}

const books = new WeakMap<Runtime, TaskBook>();

/** The process-wide task book: tasks are jobs, and jobs belong to the runtime. */
function taskBookOf(runtime: Runtime): TaskBook {
  let book = books.get(runtime);
  if (!book) {
    book = new TaskBook(
      runtime.jobs,
      (out) => portable(callResult(out)),
      (err) => toToolError(err, runtime.logger),
    );
    books.set(runtime, book);
  }
  return book;
}

export interface ConnectionOptions {
  /** A remote (HTTP) connection: tool inputs may name files in the workspace only. */
  remote?: boolean;
  /** The largest message the transport may send (stdio: 8 MiB); a resource that would not fit is refused. */
  maxMessageBytes?: number;
}

/** Asks the person about a cost through MCP elicitation (a form: accept or decline), when the client supports it. */
function askAboutSpend(server: McpServer): SpendConfirmer {
  return async (message) => {
    if (!server.server.getClientCapabilities()?.elicitation?.form) return "unsupported";
    try {
      const answer = await server.server.elicitInput({
        mode: "form",
        message,
        requestedSchema: {
          type: "object",
          properties: { confirm: { type: "boolean", title: "Generate and pay", default: true } },
        },
      });
      return answer.action === "accept" && answer.content?.confirm !== false ? "accept" : "decline";
    } catch {
      // The question could not be asked (the client failed or went away): refused, with how to proceed.
      return "unsupported";
    }
  };
}

/** One McpServer per connection, all sharing the process-wide runtime. */
export function createServer(runtime: Runtime, connection: ConnectionOptions = {}): McpServer {
  const book = taskBookOf(runtime);
  // Over HTTP every POST is a new server: tasks belong to the HTTP callers together; otherwise to this connection.
  const scope = connection.remote ? "http" : `connection-${randomBytes(6).toString("hex")}`;
  const server = new McpServer(
    { name: "pixelwright", title: "pixelwright", version: VERSION },
    {
      instructions: INSTRUCTIONS,
      capabilities: { logging: {}, tasks: TASK_CAPABILITIES },
      taskStore: book.store(scope),
    },
  );
  const remote = connection.remote === true;
  const tools = allTools(runtime, remote, followRoots(server, remote, runtime.logger), askAboutSpend(server));
  for (const tool of tools) register(server, tool, runtime.logger);
  installToolCalls(server, tools, book, scope);
  registerImageResources(server, runtime, connection.maxMessageBytes);
  registerViewer(server, () => tools.map((t) => t.name));
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
        throw new McpError(ErrorCode.InvalidRequest, tooLargeForMessage(size.path, size.bytes, maxMessageBytes));
      }
      const file = await workspace.readImage(name);
      if (!file) throw new McpError(ErrorCode.InvalidParams, `No image named '${name}' in the workspace.`);
      return { contents: [{ uri: uri.href, mimeType: file.mimeType, blob: file.bytes.toString("base64") }] };
    },
  );
}
