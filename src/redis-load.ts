// Replicas share the job book through Redis with ioredis: an optional package that a single server never needs,
// so it is not installed with pixelwright. This loads the Redis module when PIXELWRIGHT_REDIS_URL asks
// for it, or says in one sentence the exact npm command that installs them here.

import { join, sep } from "node:path";
import { ConfigError } from "./errors.js";
import { OPTIONAL_PEERS, PACKAGE_ROOT } from "./version.js";

const REDIS_PACKAGES = ["ioredis"];

/** The npm command that installs the Redis packages where this copy of pixelwright will find them. */
export function redisInstallCommand(root = PACKAGE_ROOT, execPath = process.execPath): string {
  const specs = REDIS_PACKAGES.map((name) => `${name}@${OPTIONAL_PEERS[name] ?? "latest"}`).join(" ");
  const prefix = join(execPath, "..", "..");
  const globalModules = `${join(prefix, "lib", "node_modules")}${sep}`;
  const windowsGlobal = `${join(prefix, "node_modules")}${sep}`;
  if (root.startsWith(globalModules) || root.startsWith(windowsGlobal)) return `npm install -g ${specs}`;
  const inModules = root.indexOf(`${sep}node_modules${sep}`);
  // A dependency of a project: the project installs them. A clone or unpacked copy: installed beside, not saved.
  if (inModules > 0) return `npm install --prefix ${quote(root.slice(0, inModules))} ${specs}`;
  return `npm install --prefix ${quote(root.replace(/[\\/]+$/, ""))} --no-save ${specs}`;
}

function quote(path: string): string {
  return /^[\w./:\\-]+$/.test(path) ? path : `"${path}"`;
}

function isMissingRedisPackage(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return e?.code === "ERR_MODULE_NOT_FOUND" && REDIS_PACKAGES.some((name) => String(e.message).includes(`'${name}`));
}

/** Where `import(name)` would load from; throws ERR_MODULE_NOT_FOUND when the package is not installed. */
function resolvePackage(name: string): string {
  return import.meta.resolve(name);
}

/** The replicas' Redis module, or a ConfigError with the install command when its packages are not installed. */
export async function loadRedis(
  load: () => Promise<typeof import("./jobs/redis.js")> = () => import("./jobs/redis.js"),
): Promise<typeof import("./jobs/redis.js")> {
  try {
    // The module imports ioredis only when it connects: resolve it now, so a start-up says it at once.
    for (const name of REDIS_PACKAGES) resolvePackage(name);
    return await load();
  } catch (err) {
    if (!isMissingRedisPackage(err)) throw err;
    throw new ConfigError(
      `PIXELWRIGHT_REDIS_URL needs the optional Redis package (ioredis), which is not installed: run ${redisInstallCommand()} (or unset PIXELWRIGHT_REDIS_URL to run as a single server).`,
      { cause: err },
    );
  }
}
