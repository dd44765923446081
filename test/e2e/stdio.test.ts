import { once } from "node:events";
import { afterAll, describe, expect, it } from "vitest";
import { VERSION } from "../../src/version.js";
import { runCli, spawnClient, spawnRaw, tempWorkspace } from "../helpers/spawn.js";

const workspace = tempWorkspace();
const env = { PIXELWRIGHT_WORKSPACE: workspace };

describe("the built server over stdio", () => {
  const clients: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const c of clients) await c.close();
  });

  it("initializes, lists tools and answers validate_size through the SDK client", async () => {
    const spawned = await spawnClient(env);
    clients.push(spawned);
    expect(spawned.client.getServerVersion()).toMatchObject({ name: "pixelwright", version: VERSION });
    const { tools } = await spawned.client.listTools();
    expect(tools.map((t) => t.name)).toContain("validate_size");
    const result = await spawned.client.callTool({ name: "validate_size", arguments: { size: "4096x2160" } });
    expect(result.structuredContent).toMatchObject({ ok: false });
    expect((result.structuredContent as { suggestions: { size: string }[] }).suggestions[0]?.size).toBe("3840x2160");
  });

  it("writes nothing but JSON-RPC to stdout and exits 0 once stdin closes", async () => {
    const child = spawnRaw([], env);
    let stdout = "";
    let answered: () => void = () => {};
    const thirdAnswer = new Promise<void>((resolve) => {
      answered = resolve;
    });
    child.stdout?.on("data", (c: Buffer) => {
      stdout += c.toString();
      if (stdout.includes('"id":3')) answered();
    });
    const send = (msg: object) => child.stdin?.write(`${JSON.stringify(msg)}\n`);
    send({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
    });
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    send({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    send({
      jsonrpc: "2.0",
      id: 3,
      method: "tools/call",
      params: { name: "validate_size", arguments: { size: "1x1" } },
    });
    await thirdAnswer;
    // The exit is the event: a server that kept running after stdin closed would fail this test by its timeout.
    child.stdin?.end();
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
    const lines = stdout.split("\n").filter((line) => line.length > 0);
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: "2.0" });
  });
});

describe("the CLI", () => {
  it("prints the structured result of one tool call as JSON", async () => {
    const { code, stdout } = await runCli(["call", "validate_size", '{"size":"1920x1080"}'], env);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      ok: false,
      suggestions: [{ size: "1920x1088" }, { size: "1920x1072" }],
    });
  });

  it("prints --version and --help", async () => {
    expect((await runCli(["--version"], env)).stdout.trim()).toBe(VERSION);
    const help = await runCli(["--help"], env);
    expect(help.stdout).toMatch(/pixelwright call <tool>/);
    expect(help.stdout).toMatch(/PIXELWRIGHT_WORKSPACE/);
  });

  it("explains bad arguments on stderr with a non-zero exit", async () => {
    const badJson = await runCli(["call", "validate_size", "{size:"], env);
    expect(badJson.code).not.toBe(0);
    expect(badJson.stderr).toMatch(/not valid JSON/);
    const noTool = await runCli(["call", "make_coffee", "{}"], env);
    expect(noTool.stderr).toMatch(/there is no tool 'make_coffee'/);
    const badConfig = await runCli(["call", "validate_size", '{"size":"1x1"}'], {
      ...env,
      PIXELWRIGHT_MAX_RETRIES: "lots",
    });
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toMatch(/PIXELWRIGHT_MAX_RETRIES/);
  });
});

describe("the standalone simulator", () => {
  it("serves the Images API on the port it is given", async () => {
    const child = spawnRaw(["simulator", "--port", "0"], env);
    try {
      let stderr = "";
      const url = await new Promise<string>((resolve) => {
        child.stderr?.on("data", (c: Buffer) => {
          stderr += c.toString();
          const match = /listening on (http:\/\/\S+)/.exec(stderr);
          if (match?.[1]) resolve(match[1]);
        });
      });
      const res = await fetch(`${url}/images/generations`, {
        method: "POST",
        headers: { authorization: "Bearer any", "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-image-2", prompt: "standalone", size: "1024x1536" }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-request-id")).toMatch(/^req_/);
      const body = (await res.json()) as { data: { b64_json: string }[] };
      expect(body.data[0]?.b64_json.length).toBeGreaterThan(1000);
    } finally {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
  });
});
