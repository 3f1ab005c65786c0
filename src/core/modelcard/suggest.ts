/** "Did you mean" for keys, enum values and license ids: the closest candidate within a small edit distance. */

/** Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), capped at `max + 1`. */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = b.length;
  // three reused rows, swapped by hand: this runs for every unknown key on every keystroke
  if (ROWS[0].length < n + 1) ROWS = [new Int32Array(n + 1), new Int32Array(n + 1), new Int32Array(n + 1)];
  let prev2 = ROWS[0];
  let prev = ROWS[1];
  let cur = ROWS[2];
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    const ai = a.charCodeAt(i - 1);
    const aPrev = i > 1 ? a.charCodeAt(i - 2) : -1;
    for (let j = 1; j <= n; j++) {
      const bj = b.charCodeAt(j - 1);
      let v = prev[j - 1] + (ai === bj ? 0 : 1);
      const del = prev[j] + 1;
      if (del < v) v = del;
      const ins = cur[j - 1] + 1;
      if (ins < v) v = ins;
      if (j > 1 && ai === b.charCodeAt(j - 2) && aPrev === bj && prev2[j - 2] + 1 < v) v = prev2[j - 2] + 1;
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    const t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return prev[n];
}

let ROWS: [Int32Array, Int32Array, Int32Array] = [new Int32Array(64), new Int32Array(64), new Int32Array(64)];

/** Case, `-`/`_`/space and camelCase differences do not count: `f1-Score` and `f1_score` are the same name. */
export function normalizeName(s: string): string {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[\s_-]+/g, '_');
}

/** How far a typo may be from its intended word, by length: short words need close matches. */
function allowance(len: number): number {
  if (len <= 3) return 1;
  if (len <= 6) return 2;
  return 3;
}

/** Candidates are the same few hundred schema names and enum values: normalise each once. */
const NORMALIZED = new Map<string, string>();

/** The closest candidate to `word`, or undefined when none is close enough to be a likely typo. */
export function closest(
  word: string,
  candidates: Iterable<string>,
  options: { strict?: boolean } = {},
): string | undefined {
  const w = normalizeName(word);
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    let n = NORMALIZED.get(c);
    if (n === undefined) NORMALIZED.set(c, (n = normalizeName(c)));
    if (Math.abs(n.length - w.length) > 3) continue;
    if (n === w) return c;
    // strict: where unknown keys are allowed, only near-certain typos count (`model_type` is not `model_name`)
    const max = options.strict
      ? Math.max(1, allowance(Math.min(w.length, n.length)) - 1)
      : allowance(Math.min(w.length, n.length));
    const d = editDistance(w, n, max);
    if (d <= max && d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best;
}
