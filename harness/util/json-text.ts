/**
 * JSON text of a value, as JSON.stringify(value, null, 2) writes it, with DEL and the C1 controls
 * (U+007F to U+009F) escaped as well. JSON.stringify escapes only C0; a C1 CSI (U+009B) from a
 * guest would then reach a terminal that prints the file or the command's output. The value read
 * back is the same: results keep the raw text.
 */
// eslint-disable-next-line no-control-regex
const C1 = /[\u007f-\u009f]/g;

export function jsonText(value: unknown, indent = 2): string {
  // Outside strings JSON has no such character, so every one replaced here is inside a string.
  return JSON.stringify(value, null, indent).replace(C1, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One line of JSON (NDJSON, journals): the same escaping, no newline inside. */
export const jsonLine = (value: unknown): string => jsonText(value, 0);
