// "Did you mean …?": the known name closest to a misspelt one (a tool argument, a flag, a command, a setting), or
// none when nothing is close enough to be a slip of the keyboard.

/** Edits between two words: insertions, deletions, substitutions, and two neighbours swapped (promt → prompt). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The candidate closest to `name` (case and `-`/`_` ignored), if it is within about a third of its length. */
export function closest(name: string, candidates: Iterable<string>): string | null {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, "");
  const wanted = norm(name);
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(wanted, norm(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(1, Math.floor(wanted.length / 3));
  return best !== null && bestDistance <= allowed ? best : null;
}

/** " Did you mean 'x'?" or "" — appended to a refusal. */
export function didYouMean(name: string, candidates: Iterable<string>, quote = "'"): string {
  const match = closest(name, candidates);
  return match ? ` Did you mean ${quote}${match}${quote}?` : "";
}
