/**
 * JSON text of a value, as JSON.stringify(value, null, 2) writes it, with DEL and the C1 controls
 * (U+007F to U+009F) escaped as well. JSON.stringify escapes only C0; a C1 CSI (U+009B) from a
 * guest would then reach a terminal that prints the file or the command's output. The value read
 * back is the same: results keep the raw text.
 */
// eslint-disable-next-line no-control-regex
const C1 = /[\u007f-\u009f]/g;
/** C1 and DEL, and the two Unicode line separators, which some line readers split on. */
// eslint-disable-next-line no-control-regex
const C1_AND_SEPARATORS = /[\u007f-\u009f\u2028\u2029]/g;

const escapeChar = (ch: string) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;

export function jsonText(value: unknown): string {
  // Outside strings JSON has no such character, so every one replaced here is inside a string.
  return JSON.stringify(value, null, 2).replace(C1, escapeChar);
}

/**
 * The value as one line of JSON (for NDJSON streams): no indentation, and no character in it that
 * any reader takes for the end of a line (JSON.stringify escapes CR and LF; U+2028 and U+2029 are
 * escaped here), nor a C1 control a terminal would run.
 */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(C1_AND_SEPARATORS, escapeChar);
}

