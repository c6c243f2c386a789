/**
 * The literal text every Linux crash header begins with. The kernel prints each report's first
 * line from a fixed format string (`BUG: `, `WARNING: CPU: `, `Kernel panic - not syncing: `...),
 * so a message that begins with none of them, and holds none of MID_LINE_HEADERS, is no header.
 * matchHeader() asks startsLikeHeader() before anything else: a header whose start is missing
 * here is never matched (its tests fail), and the detector can pass over all other lines in place.
 */

/** What a header line can begin with (matchAt in linux-headers.ts dispatches on the same starts). */
const HEADER_STARTS: readonly string[] = [
  'BUG: ',
  'BUG ',
  'WARNING: ',
  'Watchdog detected hard LOCKUP',
  'watchdog: ',
  'NMI watchdog: ',
  'rcu: ',
  'INFO: ',
  'Internal error: ',
  'Insufficient stack space to handle exception',
  'Kernel panic - not syncing: ',
  'kernel BUG at ',
  'kernel stack overflow',
  'general protection fault',
  'UBSAN: ',
  'Unable to handle kernel ',
  'Unhandled fault: ',
  'divide error: ',
  'divide_error: ',
  'PANIC: double fault',
  'invalid opcode: ',
  'Oops: ',
  'Alignment trap: not handling instruction',
  'VFS: Busy inodes after unmount',
  'SYZFAIL: ',
  'traps: PANIC: double fault',
  'unregister_netdevice: waiting for ',
  'unreferenced object 0x',
];

/** Older lockdep titles in brackets: `[ INFO: possible circular locking dependency detected ]`. */
const BRACKETED_STARTS: readonly string[] = ['INFO: ', 'BUG: ', 'WARNING: '];

/** Headers found after other text on the line (an interleave without a time stamp). */
export const MID_LINE_HEADERS: readonly string[] = ['BUG: ', 'Kernel panic - not syncing: ', 'WARNING: CPU: '];

/** HEADER_STARTS by first character (ASCII): most lines are turned away on it. */
const BY_FIRST: readonly (readonly string[] | undefined)[] = (() => {
  const t: string[][] = [];
  for (const s of HEADER_STARTS) (t[s.charCodeAt(0)] ??= []).push(s);
  return Array.from({ length: 128 }, (_, c) => t[c]);
})();

const LBRACKET = 91;

/** U+00A0 and the Unicode spaces from U+1680 up: whitespace to trim() that this file does not skip itself. */
function maybeWide(c: number): boolean {
  return c === 0xa0 || c >= 0x1680;
}

/** First index at or after `i` that is no ASCII blank or control (trim() skips those), or -1 on a wide space. */
function skipBlanks(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c > 32) return maybeWide(c) ? -1 : i;
    if (c !== 32 && (c < 9 || c > 13)) return i;
    i++;
  }
  return i;
}

function startsWithAny(s: string, i: number, starts: readonly string[] | undefined): boolean {
  if (starts) for (const p of starts) if (s.startsWith(p, i)) return true;
  return false;
}

/**
 * Whether the message `s[at, end)` may begin a crash header: false means it surely does not (true
 * may be wrong, matchHeader decides). Blanks before the text are looked past, as matchHeader does.
 */
export function startsLikeHeader(s: string, at: number, end: number): boolean {
  if (at >= end) return false;
  const c = s.charCodeAt(at);
  if (c === 32 || c === 9) {
    const i = skipBlanks(s, at, end);
    if (i < 0) return true;
    // An indented `[` is a stack line's address, never a bracketed title.
    return i < end && startsWithAny(s, i, BY_FIRST[s.charCodeAt(i)]);
  }
  if (c === LBRACKET) {
    if (!s.startsWith('[ ', at)) return false;
    const i = skipBlanks(s, at + 2, end);
    return i < 0 || startsWithAny(s, i, BRACKETED_STARTS);
  }
  return startsWithAny(s, at, BY_FIRST[c]);
}
