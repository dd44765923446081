// The package as users install it: what `npm pack` ships (no source maps, no sources), and a production install of
// a fresh clone (`npm ci --omit=dev`: no TypeScript, no Redis packages) that succeeds, then runs, and says how to
// install the Redis packages when a replica asks for them.

import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, tempWorkspace } from "../helpers/spawn.js";

const root = resolve(import.meta.dirname, "../..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const clone = mkdtempSync(join(tmpdir(), "pixelwright-clone-"));
let install: { status: number | null; stderr: string };

beforeAll(() => {
  // What a fresh clone holds before anything is built: the manifest, the lock file and the scripts.
  for (const file of ["package.json", "package-lock.json", "scripts"]) {
    cpSync(join(root, file), join(clone, file), { recursive: true });
  }
  const run = spawnSync(npm, ["ci", "--omit=dev", "--no-audit", "--no-fund", "--prefer-offline"], {
    cwd: clone,
    encoding: "utf8",
  });
  install = { status: run.status, stderr: run.stderr };
}, 300_000);
afterAll(() => rmSync(clone, { recursive: true, force: true }));

describe("npm pack", () => {
  it("ships the built server without source maps, sources or tests", () => {
    const out = execFileSync(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8" });
    const files = (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0]?.files.map((f) => f.path) ?? [];
    expect(files).toEqual(expect.arrayContaining(["dist/cli.js", "dist/cli-main.js", "dist/ui/viewer.html"]));
    expect(files.filter((f) => f.endsWith(".map"))).toEqual([]);
    expect(files.filter((f) => /^(src|test|bench)\//.test(f))).toEqual([]);
  });

  it("declares the Redis package as an optional peer, installed on demand, not as a dependency", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    expect(Object.keys(pkg.dependencies)).not.toEqual(expect.arrayContaining(["ioredis"]));
    expect(pkg.peerDependenciesMeta).toEqual({ ioredis: { optional: true } });
  });
});

describe("npm ci --omit=dev in a fresh clone", () => {
  it("succeeds without the build toolchain, saying how to build", () => {
    expect(install.status).toBe(0);
    expect(install.stderr).toMatch(/no build toolchain .* and no dist\/: build where the dev dependencies are/);
    for (const name of ["typescript", "esbuild", "ioredis"])
      expect(existsSync(join(clone, "node_modules", name))).toBe(false);
    expect(existsSync(join(clone, "node_modules", "sharp"))).toBe(true);
  });

  it("runs what was built elsewhere, and a replica says the one command that installs the Redis package", () => {
    cpSync(join(root, "dist"), join(clone, "dist"), { recursive: true });
    const env = cleanEnv({ PIXELWRIGHT_WORKSPACE: tempWorkspace() });
    const call = spawnSync(process.execPath, ["dist/cli.js", "call", "validate_size", '{"size":"3840x2160"}'], {
      cwd: clone,
      env,
      encoding: "utf8",
    });
    expect(JSON.parse(call.stdout)).toMatchObject({ ok: true });
    const replica = spawnSync(process.execPath, ["dist/cli.js", "http", "--port", "0"], {
      cwd: clone,
      env: { ...env, PIXELWRIGHT_REDIS_URL: "redis://127.0.0.1:1" },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(replica.stderr.trim()).toBe(
      `pixelwright: configuration error: PIXELWRIGHT_REDIS_URL needs the optional Redis package (ioredis), which is not installed: run npm install --prefix ${clone} --no-save ioredis@^6.0.0 (or unset PIXELWRIGHT_REDIS_URL to run as a single server).`,
    );
    expect(replica.status).toBe(2);
    const doctor = spawnSync(process.execPath, ["dist/cli.js", "doctor"], {
      cwd: clone,
      env: { ...env, PIXELWRIGHT_REDIS_URL: "redis://127.0.0.1:1", HOME: tempWorkspace() },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(doctor.stdout).toContain(
      `✗ redis: the optional Redis package (ioredis) is not installed → fix: install it: npm install --prefix ${clone} --no-save ioredis@^6.0.0`,
    );
  });
});
