// How a person runs this program again, the way they ran it this time: `pixelwright` from an installed package (npm's
// bin link keeps that name), else `node <path of dist/cli.js>` — in a clone there is no `pixelwright` command, so a
// message that tells someone what to type must not name one.

import { basename, isAbsolute, relative } from "node:path";

export function selfCommand(argv1: string = process.argv[1] ?? "", cwd: string = process.cwd()): string {
  const name = basename(argv1);
  if (argv1 === "" || name === "pixelwright") return "pixelwright";
  const near = relative(cwd, argv1);
  const path = near !== "" && !near.startsWith("..") && !isAbsolute(near) ? near : argv1;
  return `node ${/^[\w./@+-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`}`;
}
