// What the CLI tells people to type names the program as they ran it: `pixelwright` once installed from npm, `node
// <path of dist/cli.js>` in a clone (where no `pixelwright` command exists).

import { describe, expect, it } from "vitest";
import { selfCommand } from "../../src/cli/self.js";

describe("the command a message tells people to type", () => {
  it.each([
    ["npm's bin link", "/usr/local/bin/pixelwright", "/home/me", "pixelwright"],
    ["a clone, run from its folder", "/home/me/pixelwright/dist/cli.js", "/home/me/pixelwright", "node dist/cli.js"],
    [
      "a clone, run from elsewhere",
      "/home/me/pixelwright/dist/cli.js",
      "/tmp",
      "node /home/me/pixelwright/dist/cli.js",
    ],
    [
      "a path with a space, quoted for the shell",
      "/home/me/my tools/dist/cli.js",
      "/tmp",
      "node '/home/me/my tools/dist/cli.js'",
    ],
    ["no script path at all", "", "/tmp", "pixelwright"],
  ])("%s", (_case, argv1, cwd, expected) => {
    expect(selfCommand(argv1, cwd)).toBe(expected);
  });
});
