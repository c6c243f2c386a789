/**
 * How many terminal columns text takes, and text cut to a number of columns: for the live view,
 * whose redraw in place counts on every line fitting one row. Text is measured by grapheme
 * (a letter with its combining marks, an emoji with its modifiers and joiners, a flag) and never
 * cut inside one.
 *
 * Widths, as terminals (wcwidth) give them: 2 for East Asian Wide and Fullwidth characters
 * (Unicode's EastAsianWidth.txt, W and F) and for emoji shown as emoji (Emoji_Presentation, or
 * a pictograph followed by U+FE0F); 0 for a grapheme of combining marks, format characters or
 * controls only; 1 otherwise. Ambiguous-width characters count 1, as outside CJK locales.
 * Text is expected to have passed util/printable.ts (no control sequences).
 */

/** East Asian Wide (W) and Fullwidth (F) ranges outside the emoji, from Unicode's EastAsianWidth.txt. */
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f], // Hangul Jamo initial consonants
  [0x2e80, 0x303e], // CJK radicals, Kangxi radicals, ideographic description, CJK symbols and punctuation
  [0x3041, 0x33ff], // Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, Kanbun, CJK strokes, enclosed CJK, CJK compatibility
  [0x3400, 0x4dbf], // CJK unified ideographs extension A
  [0x4e00, 0x9fff], // CJK unified ideographs
  [0xa000, 0xa4cf], // Yi
  [0xa960, 0xa97f], // Hangul Jamo extended A
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xfe10, 0xfe19], // vertical forms
  [0xfe30, 0xfe6f], // CJK compatibility forms, small form variants
  [0xff00, 0xff60], // fullwidth forms
  [0xffe0, 0xffe6], // fullwidth signs
  [0x16fe0, 0x16fe4], // ideographic symbols
  [0x17000, 0x18aff], // Tangut
  [0x1b000, 0x1b2ff], // Kana supplement and extensions, Nushu
  [0x1f200, 0x1f2ff], // enclosed ideographic supplement
  [0x20000, 0x2fffd], // CJK extensions B to F, compatibility supplement
  [0x30000, 0x3fffd], // CJK extensions G and H
];

function isWide(cp: number): boolean {
  if (cp < WIDE[0]![0]) return false;
  let lo = 0;
  let hi = WIDE.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = WIDE[mid]!;
    if (cp < a) hi = mid - 1;
    else if (cp > b) lo = mid + 1;
    else return true;
  }
  return false;
}

const EMOJI = /\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F|\p{Regional_Indicator}{2}/u;
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\p{Cc}]*$/u;
const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Columns one grapheme takes: 0, 1 or 2. */
export function graphemeWidth(g: string): number {
  if (g.length === 1) {
    const c = g.charCodeAt(0);
    if (c >= 0x20 && c < 0x7f) return 1;
  }
  if (ZERO_WIDTH.test(g)) return 0;
  if (EMOJI.test(g) || isWide(g.codePointAt(0)!)) return 2;
  return 1;
}

/** Columns the text takes on a terminal (one line). */
export function displayWidth(s: string): number {
  // Plain ASCII, the common case, without segmenting.
  if (/^[\x20-\x7e]*$/.test(s)) return s.length;
  let w = 0;
  for (const { segment } of segmenter.segment(s)) w += graphemeWidth(segment);
  return w;
}

/**
 * The text, or as much of it as fits `columns` with `…` at the end: cut between graphemes only,
 * so no character, emoji sequence or flag is split, and a wide one that would straddle the edge
 * is left out.
 */
export function fitWidth(s: string, columns: number): string {
  if (displayWidth(s) <= columns) return s;
  if (columns <= 0) return '';
  const room = columns - 1; // for the ellipsis
  let out = '';
  let w = 0;
  for (const { segment } of segmenter.segment(s)) {
    const g = graphemeWidth(segment);
    if (w + g > room) break;
    out += segment;
    w += g;
  }
  return `${out}…`;
}
