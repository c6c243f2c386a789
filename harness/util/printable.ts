/**
 * Text from guests (crash titles, console excerpts, health output) and from files users hand us,
 * made safe to show a person: on a terminal, in Markdown, HTML, JUnit or TAP. A guest controls its
 * console, so a crash title can carry `ESC[2J` (clear the screen), `ESC c` (reset the terminal), an
 * OSC title change or a C1 CSI (U+009B): shown raw, they would rewrite what the reader sees.
 *
 * Control sequences (7-bit `ESC ...` and 8-bit C1 forms) are removed whole; every other C0 or C1
 * control character and DEL is shown as `\xNN`, NUL included. Line feeds and tabs stay: they lay
 * text out and cannot move back over it (with `oneLine`, a line feed is shown as `\x0a` too). A
 * carriage return right before a line feed is a Windows line end and is dropped; any other is shown.
 * Unicode's bidirectional formatting characters (U+202E RIGHT-TO-LEFT OVERRIDE and its kin) are
 * shown as `\uNNNN`: raw, they reorder what follows them on screen, so `exe.txt` can read `txt.exe`.
 * Stored results (run.json) keep the raw text: this is for what people read.
 */

// eslint-disable-next-line no-control-regex
const SEQUENCES = new RegExp(
  [
    // CSI: ESC [ or U+009B, parameters, intermediates, a final byte.
    '(?:\\u001b\\[|\\u009b)[\\u0030-\\u003f]*[\\u0020-\\u002f]*[\\u0040-\\u007e]',
    // OSC, DCS, SOS, PM, APC strings, up to BEL or ST (ESC \ or U+009C).
    '(?:\\u001b[\\]PX^_]|[\\u0090\\u0098\\u009d\\u009e\\u009f])[^\\u0007\\u001b\\u009c]*(?:\\u0007|\\u001b\\\\|\\u009c)',
    // Any other escape sequence: ESC, intermediates, a final byte (ESC c, ESC 7, ESC ( B).
    '\\u001b[\\u0020-\\u002f]*[\\u0030-\\u007e]',
  ].join('|'),
  'g',
);
/** The bidirectional formatting characters (marks, embeddings, overrides, isolates), for a character class. */
export const BIDI_CLASS = '\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';
// The controls and the bidirectional characters, in one pass.
const CONTROLS = new RegExp(`\\r\\n|[\\u0000-\\u0008\\u000a-\\u001f\\u007f-\\u009f${BIDI_CLASS}]`, 'g');

const hex = (ch: string) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
export const unicodeEscape = (ch: string) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;

export function printable(s: string, opts: { oneLine?: boolean } = {}): string {
  const keepLineFeeds = !opts.oneLine;
  return s.replace(SEQUENCES, '').replace(CONTROLS, (ch) => {
    if (ch === '\r\n') return keepLineFeeds ? '\n' : '\\x0a';
    if (ch === '\n' && keepLineFeeds) return ch;
    return ch.charCodeAt(0) > 0xff ? unicodeEscape(ch) : hex(ch);
  });
}

/** printable for one line of a terminal: a line feed from a guest must not start a line of its own. */
export const printableLine = (s: string) => printable(s, { oneLine: true });
