/**
 * "Did you mean ...?" for a mistyped id: the known names closest to what was typed, by edit distance
 * (insertions, deletions, substitutions and swaps of two neighbours each cost 1), case and `-`/`_` differences
 * counting for nothing. Only names close enough to be a plausible typo are offered.
 */

/** Optimal string alignment distance between `a` and `b`. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i += 1) {
    for (let j = 1; j < cols; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

function folded(name: string): string {
  return name.toLowerCase().replace(/-/g, '_');
}

/**
 * Up to `max` of `candidates` that `input` is plausibly a typo of, closest first: within a third of the input's
 * length in edits (at least 1, at most 4), or containing the input (or contained in it) once case is folded.
 */
export function closestNames(input: string, candidates: Iterable<string>, max = 3): string[] {
  const wanted = folded(input);
  const limit = Math.min(4, Math.max(1, Math.floor(wanted.length / 3)));
  const scored: Array<{ name: string; score: number }> = [];
  for (const name of new Set(candidates)) {
    const candidate = folded(name);
    const distance = editDistance(wanted, candidate);
    if (distance <= limit) scored.push({ name, score: distance });
    else if (wanted.length >= 3 && (candidate.includes(wanted) || wanted.includes(candidate))) scored.push({ name, score: limit + 1 });
  }
  scored.sort((x, y) => x.score - y.score || x.name.localeCompare(y.name));
  return scored.slice(0, max).map((entry) => entry.name);
}

/** `"; did you mean a or b?"`, or '' when nothing is close. */
export function didYouMean(input: string, candidates: Iterable<string>): string {
  const names = closestNames(input, candidates);
  if (names.length === 0) return '';
  const quoted = names.map((name) => JSON.stringify(name));
  return `; did you mean ${quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`}?`;
}
