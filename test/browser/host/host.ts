// A minimal MCP Apps host, the way a chat client does it: an MCP Client connected to the real pixelwright server
// (relayed to the test process), the viewer HTML read with resources/read and put in a sandboxed iframe, and the
// ext-apps AppBridge over a PostMessageTransport between them. Bundled by the test into one page.

import { type CallToolResult, Client, type JSONRPCMessage, type Transport } from "@modelcontextprotocol/client";
import { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";

interface HostApi {
  ready: boolean;
  tools: string[];
  resourceUri: string | null;
  csp: unknown;
  run(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  calls: string[];
}

declare global {
  interface Window {
    pwToServer(message: string): Promise<void>;
    pwFromServer(message: string): void;
    pwHost: HostApi;
  }
}

/** JSON-RPC to and from the test process, which owns the server end (an SDK InMemoryTransport). */
class RelayTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  async start(): Promise<void> {
    window.pwFromServer = (message) => this.onmessage?.(JSON.parse(message) as JSONRPCMessage);
  }
  async send(message: JSONRPCMessage): Promise<void> {
    await window.pwToServer(JSON.stringify(message));
  }
  async close(): Promise<void> {
    this.onclose?.();
  }
}

async function boot(): Promise<void> {
  const client = new Client({ name: "pixelwright-test-host", version: "1.0.0" });
  await client.connect(new RelayTransport());
  const { tools } = await client.listTools();
  const linked = tools.find((t) => (t._meta as { ui?: { resourceUri?: string } } | undefined)?.ui?.resourceUri);
  const uri =
    (linked?._meta as { ui?: { resourceUri?: string } } | undefined)?.ui?.resourceUri ?? "ui://pixelwright/viewer.html";
  const resource = await client.readResource({ uri });
  const content = resource.contents[0] as { text?: string; _meta?: { ui?: { csp?: unknown } } };

  const iframe = document.createElement("iframe");
  iframe.sandbox.add("allow-scripts");
  iframe.title = "pixelwright viewer";
  iframe.srcdoc = content.text ?? "";
  document.getElementById("chat")?.append(iframe);

  const bridge = new AppBridge(
    client,
    { name: "pixelwright-test-host", version: "1.0.0" },
    { openLinks: {}, serverTools: {}, serverResources: {}, logging: {} },
    { hostContext: { theme: "light", displayMode: "inline", platform: "web" } },
  );
  bridge.onsizechange = ({ height }) => {
    if (height) iframe.style.height = `${Math.ceil(height)}px`;
  };
  const initialized = new Promise<void>((resolve) => {
    bridge.oninitialized = () => resolve();
  });
  const frameWindow = iframe.contentWindow as Window;
  await bridge.connect(new PostMessageTransport(frameWindow, frameWindow));
  // connect() wired tools/call to the client; count what the view calls through the host.
  const calls: string[] = [];
  const forward = bridge.oncalltool;
  bridge.oncalltool = async (params, extra) => {
    calls.push(params.name);
    if (!forward) throw new Error("no server tools");
    return forward(params, extra);
  };
  await initialized;

  window.pwHost = {
    ready: true,
    tools: tools.map((t) => t.name),
    resourceUri: linked ? uri : null,
    csp: content._meta?.ui?.csp ?? null,
    calls,
    async run(name, args) {
      await bridge.sendToolInput({ arguments: args });
      const result = await client.callTool({ name, arguments: args }, { timeout: 120_000 });
      await bridge.sendToolResult(result);
      return result;
    },
  };
}

void boot();
