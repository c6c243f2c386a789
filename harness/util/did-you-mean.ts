/**
 * Suggestions for a misspelt word (an unknown key, an unknown enum value): the known words within
 * a slip of it. A slip is a letter added, dropped, changed or two neighbours swapped (`imagse`),
 * at most 2 of them and at most one per 3 letters, so short words only match near twins.
 */

/**
 * Edit distance counting insertions, deletions, substitutions and swaps of adjacent letters as one
 * each (optimal string alignment, the restricted Damerau-Levenshtein distance).
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  // Three rows suffice: a swap looks two rows back.
  let prev2 = new Array<number>(cols).fill(0);
  let prev = Array.from({ length: cols }, (_, j) => j);
  for (let i = 1; i < rows; i++) {
    const cur = new Array<number>(cols).fill(0);
    cur[0] = i;
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur[j] = d;
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[cols - 1]!;
}

/** The most edits a word of this length may be from a suggestion (case aside). */
export const maxSlips = (length: number): number => Math.min(2, Math.floor(length / 3));

/**
 * The known words closest to `word`, case ignored, in the order given; none when none is within
 * maxSlips of the longer of the two, or when the word is itself known.
 */
export function closestWords(word: string, known: readonly string[]): string[] {
  if (known.includes(word)) return [];
  const w = word.toLowerCase();
  let best = Infinity;
  let out: string[] = [];
  for (const k of known) {
    // The distance is at least the difference in length: skip the table for hopeless pairs (a long hostile key costs nothing).
    if (Math.abs(k.length - w.length) > 2) continue;
    const d = editDistance(w, k.toLowerCase());
    if (d > maxSlips(Math.max(k.length, w.length))) continue;
    if (d < best) [best, out] = [d, [k]];
    else if (d === best) out.push(k);
  }
  return out;
}

/** "did you mean `images`?" (or "`agent` or `agents`"), or "" for no suggestion. */
export function didYouMeanText(near: readonly string[]): string {
  return near.length === 0 ? '' : `did you mean ${near.map((k) => `\`${k}\``).join(' or ')}?`;
}

/** The suggestion for `word` among `known`, as text; "" when nothing is close. */
export const didYouMean = (word: string, known: readonly string[]): string => didYouMeanText(closestWords(word, known));
