// The size an edit (edit_of) makes when no size is given: the source image's own, so the edit keeps its picture's
// shape; when the model cannot make that size, the valid size of the same shape nearest to it (the size contract's
// own suggestions). Pure.

import { aspectLabel, formatSize, validateSize } from "./sizes.js";
import { aspectChange, MAX_ASPECT_CHANGE } from "./upscale.js";

export interface EditSize {
  /** WIDTHxHEIGHT, valid for the model. */
  size: string;
  /** What the result says about it. */
  caveat: string;
}

/** The size to ask for when an edit names no size, and the sentence saying why; null when the contract has none. */
export function editSize(source: { width: number; height: number }, model: string): EditSize | null {
  const own = formatSize(source.width, source.height);
  const report = validateSize(own, model);
  const change = "pass size to make another size";
  // The model's own standing (unknown to the table, retired) is the request contract's to judge, not the size's.
  const sizeRules = report.violations.filter((v) => v.rule !== "unknown_model" && v.rule !== "model_retired");
  if (sizeRules.length === 0) {
    return { size: own, caveat: `No size given: the edit keeps the source image's size, ${own} (${change}).` };
  }
  const why = sizeRules.map((v) => v.rule).join(", ");
  const sameShape = report.suggestions.find((s) => aspectChange(source, s) <= MAX_ASPECT_CHANGE);
  if (sameShape) {
    return {
      size: sameShape.size,
      caveat: `No size given: the source image is ${own}, which ${report.model} cannot make (${why}), so the edit asks for ${sameShape.size}, the nearest valid size of the same shape (${change}).`,
    };
  }
  const nearest = report.suggestions[0];
  if (!nearest) return null;
  const shape = `${aspectLabel(source.width, source.height)} to ${aspectLabel(nearest.width, nearest.height)}`;
  return {
    size: nearest.size,
    caveat: `No size given: the source image is ${own}, and ${report.model} makes no size of its shape (${why}), so the edit asks for ${nearest.size}, the nearest valid size: the shape changes from ${shape} (${change}).`,
  };
}
