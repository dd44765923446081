// The size an edit makes when no size is given (edit_of): the source's own when the model can make it, else the
// nearest valid size of the same shape, else the nearest valid size with the change of shape said. Every size
// returned passes the size contract.

import { describe, expect, it } from "vitest";
import { editSize } from "../../src/contract/edit-size.js";
import { validateSize } from "../../src/contract/sizes.js";

describe("editSize", () => {
  it.each([
    // source, model, size asked for, what the caveat says
    [[1536, 1024], "gpt-image-2", "1536x1024", /keeps the source image's size, 1536x1024/],
    [[3840, 2160], "gpt-image-2", "3840x2160", /keeps the source image's size, 3840x2160/],
    [
      [1672, 941],
      "gpt-image-2",
      "1680x944",
      /1672x941, which gpt-image-2 cannot make .*nearest valid size of the same shape/,
    ],
    [[1000, 1000], "gpt-image-2", "1008x1008", /nearest valid size of the same shape/],
    [[1024, 1536], "gpt-image-1.5", "1024x1536", /keeps the source image's size/],
    [[3840, 2160], "gpt-image-1.5", "1536x1024", /makes no size of its shape .*the shape changes from 16:9 to 3:2/],
  ] as const)("%j on %s asks for %s", ([width, height], model, size, caveat) => {
    const made = editSize({ width, height }, model);
    expect(made?.size).toBe(size);
    expect(made?.caveat).toMatch(caveat);
    expect(validateSize(made?.size, model).ok).toBe(true);
  });
});
