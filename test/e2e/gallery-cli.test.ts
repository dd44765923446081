// `pixelwright gallery` from the built CLI: serves the workspace on loopback and prints a URL with a token that
// opens it; without that token nothing is served.

import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { raw } from "../helpers/http.js";
import { runCli, spawnRaw, tempWorkspace } from "../helpers/spawn.js";

const workspace = tempWorkspace();
let child: ReturnType<typeof spawnRaw>;
let url: string;

beforeAll(async () => {
  const made = await runCli(["call", "generate_image", '{"prompt":"for the gallery","size":"1024x1024"}'], {
    PIXELWRIGHT_WORKSPACE: workspace,
  });
  expect(made.code).toBe(0);
  child = spawnRaw(["gallery", "--port", "0"], { PIXELWRIGHT_WORKSPACE: workspace });
  url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+\/gallery\?token=[0-9a-f]+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.on("exit", (code) => reject(new Error(`gallery exited ${code}`)));
  });
});

afterAll(() => {
  child?.kill("SIGTERM");
  rmSync(workspace, { recursive: true, force: true });
});

describe("pixelwright gallery", () => {
  it("prints a loopback URL whose token opens the gallery, and refuses without it", async () => {
    const origin = new URL(url).origin;
    expect((await raw(`${origin}/gallery`, { method: "GET" })).status).toBe(401);
    const exchanged = await raw(url, { method: "GET" });
    expect(exchanged.status).toBe(303);
    const cookie = String(exchanged.headers["set-cookie"]).split(";")[0] as string;
    const page = await raw(`${origin}/gallery`, { method: "GET", headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.body).toContain("for the gallery");
    expect(page.body).not.toContain(workspace);
    expect(page.headers["content-security-policy"]).toMatch(/default-src 'none'/);
  });

  it("on a port already in use: one line saying so, no stack trace, exit 2", async () => {
    const port = new URL(url).port;
    const { code, stderr } = await runCli(["gallery", "--port", port], { PIXELWRIGHT_WORKSPACE: workspace });
    expect(stderr).toMatch(
      new RegExp(`^pixelwright: configuration error: port ${port} on 127\\.0\\.0\\.1 is already in use`, "m"),
    );
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(code).toBe(2);
  });
});
