// `npm run conformance`: the official MCP conformance suite (@modelcontextprotocol/conformance, pinned in
// package.json) against `pixelwright http` (offline simulator, throwaway workspace), for both protocol versions
// pixelwright serves and the Tasks extension. Each run takes the expected-failures file of its version
// (conformance/expected-failures-*.yml): only scenarios that need a feature pixelwright does not offer or the
// suite's own fixtures. An unexpected failure, or a baselined one that now passes, fails the run. The suite tests
// servers over HTTP only (its `server` command takes a URL), so stdio is covered by the repository's own tests.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const suite = join(root, "node_modules", ".bin", "conformance");
const TASK_SCENARIOS = [
  "tasks-lifecycle",
  "tasks-capability-negotiation",
  "tasks-wire-fields",
  "tasks-request-state-removal",
  "tasks-mrtr-input",
  "tasks-request-headers",
  "tasks-dispatch-and-envelope",
  "tasks-status-notifications",
  "tasks-required-task-error",
  "tasks-mrtr-composition",
];

const say = (line) => process.stdout.write(`${line}\n`);
const complain = (line) => process.stderr.write(`${line}\n`);

if (Number(process.versions.node.split(".")[0]) < 22) {
  complain(`the conformance suite needs Node 22 or newer (this is ${process.version})`);
  process.exit(1);
}

/** `pixelwright http --port 0` with the embedded simulator; resolves with its URL once it listens. */
function startServer(workspace) {
  const child = spawn(process.execPath, [join(root, "dist", "cli.js"), "http", "--port", "0", "--offline"], {
    env: { ...process.env, PIXELWRIGHT_WORKSPACE: workspace, OPENAI_API_KEY: "", PIXELWRIGHT_LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  return new Promise((resolveUrl, reject) => {
    let seen = "";
    child.stderr.on("data", (chunk) => {
      seen += chunk;
      const match = /listening on (http:\/\/\S+\/mcp)/.exec(seen);
      if (match) resolveUrl({ child, url: match[1] });
    });
    child.once("exit", (code) => reject(new Error(`pixelwright http exited (${code}) before listening:\n${seen}`)));
  });
}

function run(args) {
  return new Promise((done) => {
    const child = spawn(suite, ["server", ...args], { stdio: "inherit" });
    child.once("exit", (code) => done(code ?? 1));
  });
}

const workspace = mkdtempSync(join(tmpdir(), "pixelwright-conformance-"));
const output = join(workspace, "results");
const { child, url } = await startServer(join(workspace, "images"));
const failed = [];
try {
  for (const version of ["2025-11-25", "2026-07-28"]) {
    const baseline = join(root, "conformance", `expected-failures-${version}.yml`);
    say(`\n== conformance ${version} against ${url}`);
    const args = ["--url", url, "--suite", "all", "--spec-version", version, "--expected-failures", baseline];
    if ((await run([...args, "-o", output])) !== 0) failed.push(version);
  }
  const baseline = join(root, "conformance", "expected-failures-2026-07-28.yml");
  for (const scenario of TASK_SCENARIOS) {
    say(`\n== conformance extension ${scenario}`);
    const args = ["--url", url, "--scenario", scenario, "--expected-failures", baseline, "-o", output];
    if ((await run(args)) !== 0) failed.push(scenario);
  }
} finally {
  child.kill("SIGTERM");
}
if (failed.length > 0) {
  complain(`\nconformance: unexpected results in ${failed.join(", ")} (details under ${output})`);
  process.exit(1);
}
rmSync(workspace, { recursive: true, force: true });
say("\nconformance: every applicable scenario passes for 2025-11-25, 2026-07-28 and the Tasks extension");
