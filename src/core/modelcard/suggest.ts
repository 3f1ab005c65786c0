/** "Did you mean" for keys, enum values and license ids: the closest candidate within a small edit distance. */

/** Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), capped at `max + 1`. */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = b.length;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = cur[0];
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2] + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n];
}

/** Case, `-`/`_`/space and camelCase differences do not count: `f1-Score` and `f1_score` are the same name. */
export function normalizeName(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().replace(/[\s_-]+/g, '_');
}

/** How far a typo may be from its intended word, by length: short words need close matches. */
function allowance(len: number): number {
  if (len <= 3) return 1;
  if (len <= 6) return 2;
  return 3;
}

/** The closest candidate to `word`, or undefined when none is close enough to be a likely typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = normalizeName(word);
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const n = normalizeName(c);
    if (n === w) return c;
    const max = allowance(Math.min(w.length, n.length));
    const d = editDistance(w, n, max);
    if (d <= max && d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best;
}
