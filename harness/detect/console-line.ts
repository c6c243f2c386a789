/**
 * One kernel console line split into its printk prefix and message. The prefix is any of
 * `<6>` (syslog level), `[   12.345678]` (printk time) and `[ T123]` / `[C1]` (printk caller:
 * a task id or, in interrupt context, a CPU). Parsed by hand: this runs on every line.
 */
export interface ConsoleLine {
  /** The line as received, without its line break. */
  raw: string;
  /** The message: the line without its prefix (and without the one space after it). */
  body: string;
  /** printk caller id (`T123` or `C1`) when the kernel prints it (CONFIG_PRINTK_CALLER). */
  caller?: string;
  /** Seconds since boot from the printk time, when the line has one. */
  time?: number;
}

const SPACE = 32;
const LBRACKET = 91;
const RBRACKET = 93;
const DOT = 46;
const LT = 60;
const GT = 62;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** End index (after `]`) of a `[  12.345678]` time stamp starting at `i`, or -1. */
export function timestampEnd(s: string, i: number): number {
  if (s.charCodeAt(i) !== LBRACKET) return -1;
  let j = i + 1;
  while (s.charCodeAt(j) === SPACE) j++;
  const d0 = j;
  while (isDigit(s.charCodeAt(j))) j++;
  if (j === d0 || s.charCodeAt(j) !== DOT) return -1;
  j++;
  const f0 = j;
  while (isDigit(s.charCodeAt(j))) j++;
  if (j - f0 < 3 || s.charCodeAt(j) !== RBRACKET) return -1;
  return j + 1;
}

/** End index (after `]`) of a `[ T123]` / `[C1]` caller id starting at `i`, or -1. */
function callerEnd(s: string, i: number): number {
  if (s.charCodeAt(i) !== LBRACKET) return -1;
  let j = i + 1;
  while (s.charCodeAt(j) === SPACE) j++;
  const k = s.charCodeAt(j);
  if (k !== 84 /* T */ && k !== 67 /* C */) return -1;
  j++;
  const d0 = j;
  while (isDigit(s.charCodeAt(j))) j++;
  if (j === d0 || s.charCodeAt(j) !== RBRACKET) return -1;
  return j + 1;
}

/** `  12.345678` between `from` and `to` as seconds, without allocating. */
function parseTime(s: string, from: number, to: number): number {
  let int = 0;
  let frac = 0;
  let scale = 1;
  let seenDot = false;
  for (let j = from; j < to; j++) {
    const c = s.charCodeAt(j);
    if (c === DOT) seenDot = true;
    else if (isDigit(c)) {
      if (seenDot) {
        frac = frac * 10 + (c - 48);
        scale *= 10;
      } else {
        int = int * 10 + (c - 48);
      }
    }
  }
  return int + frac / scale;
}

export function splitConsoleLine(raw: string): ConsoleLine {
  let i = 0;
  // <N> syslog level, as /dev/kmsg readers and some consoles print it.
  if (raw.charCodeAt(0) === LT) {
    let j = 1;
    while (isDigit(raw.charCodeAt(j))) j++;
    if (j > 1 && j <= 4 && raw.charCodeAt(j) === GT) i = j + 1;
  }
  if (raw.charCodeAt(i) !== LBRACKET) return i === 0 ? { raw, body: raw } : { raw, body: raw.slice(i) };
  const te = timestampEnd(raw, i);
  if (te < 0) return i === 0 ? { raw, body: raw } : { raw, body: raw.slice(i) };
  const time = parseTime(raw, i + 1, te - 1);
  let caller: string | undefined;
  let b = te;
  const ce = callerEnd(raw, te);
  if (ce > 0) {
    caller = raw.slice(te + 1, ce - 1).trim();
    b = ce;
  }
  if (raw.charCodeAt(b) === SPACE) b++;
  const line: ConsoleLine = { raw, body: raw.slice(b), time };
  if (caller !== undefined) line.caller = caller;
  return line;
}

/**
 * A console line that holds more than one printk record: when two CPUs print at once, or
 * after `** N printk messages dropped **`, a time stamp shows up in the middle of a line.
 * Returns the pieces, each starting at a time stamp (the first may have none).
 */
export function splitAtTimestamps(raw: string): string[] {
  const lead = raw.charCodeAt(0) === LT ? raw.indexOf('>') + 2 : 1;
  let at = raw.indexOf('[', lead < 1 ? 1 : lead);
  if (at < 0) return [raw];
  let pieces: string[] | undefined;
  let from = 0;
  while (at >= 0) {
    // A time stamp needs a space or a digit right after '['.
    const c = raw.charCodeAt(at + 1);
    if ((c === SPACE || isDigit(c)) && timestampEnd(raw, at) > 0) {
      const piece = raw.slice(from, at);
      if (piece.trim() !== '') (pieces ??= []).push(piece);
      from = at;
    }
    at = raw.indexOf('[', at + 1);
  }
  if (!pieces) return from === 0 ? [raw] : [raw.slice(from)];
  pieces.push(raw.slice(from));
  return pieces;
}
