import { BIDI_CLASS, unicodeEscape } from './printable.js';

/**
 * JSON text of a value, as JSON.stringify(value, null, 2) writes it, with DEL, the C1 controls
 * (U+007F to U+009F) and the bidirectional formatting characters (U+202E ...) escaped as well.
 * JSON.stringify escapes only C0; a C1 CSI (U+009B) or a right-to-left override from a guest would
 * then reach a terminal that prints the file or the command's output. The value read back is the
 * same: results keep the raw text.
 */
// One pass over the text (a run.json can be tens of megabytes): DEL, C1 and the bidirectional characters.
const ESCAPED = new RegExp(`[\\u007f-\\u009f${BIDI_CLASS}]`, 'g');
/** The same, and the two Unicode line separators, which some line readers split on. */
const ESCAPED_IN_LINE = new RegExp(`[\\u007f-\\u009f\\u2028\\u2029${BIDI_CLASS}]`, 'g');

export function jsonText(value: unknown): string {
  // Outside strings JSON has no such character, so every one replaced here is inside a string.
  return JSON.stringify(value, null, 2).replace(ESCAPED, unicodeEscape);
}

/**
 * The value as one line of JSON (NDJSON streams, the run journal): no indentation, and no
 * character in it that any reader takes for the end of a line (JSON.stringify escapes CR and LF;
 * U+2028 and U+2029 are escaped here), nor one a terminal would act on.
 */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(ESCAPED_IN_LINE, unicodeEscape);
}
