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

/** End index (after `]`) of a `[ T123]` / `[C1]` caller id starting at `i`, or -1. */
function callerEnd(s: string, i: number, end: number): number {
  if (i >= end || s.charCodeAt(i) !== LBRACKET) return -1;
  let j = i + 1;
  while (j < end && s.charCodeAt(j) === SPACE) j++;
  const k = j < end ? s.charCodeAt(j) : 0;
  if (k !== 84 /* T */ && k !== 67 /* C */) return -1;
  j++;
  const d0 = j;
  while (j < end && isDigit(s.charCodeAt(j))) j++;
  if (j === d0 || j >= end || s.charCodeAt(j) !== RBRACKET) return -1;
  return j + 1;
}

/**
 * The printk prefix of the line `s[start, end)`, read in place: one instance is reused for every
 * line, so the common line (no report open, no header) costs no allocation at all.
 */
export class PrintkPrefix {
  /** Where the message starts: after the prefix and the one space after it. */
  body = 0;
  /** Seconds since boot from the printk time; NaN when the line has none. */
  time = Number.NaN;
  /** The caller id is `s[callerStart, callerEnd)`; empty when the line has none. */
  callerStart = 0;
  callerEnd = 0;

  read(s: string, start: number, end: number): this {
    let i = start;
    this.time = Number.NaN;
    this.callerStart = this.callerEnd = 0;
    // <N> syslog level, as /dev/kmsg readers and some consoles print it.
    if (end > start && s.charCodeAt(start) === LT) {
      let j = start + 1;
      while (j < end && isDigit(s.charCodeAt(j))) j++;
      if (j > start + 1 && j <= start + 4 && j < end && s.charCodeAt(j) === GT) i = j + 1;
    }
    this.body = i;
    if (i >= end || s.charCodeAt(i) !== LBRACKET) return this;
    const te = this.timestamp(s, i, end);
    if (te < 0) return this;
    let b = te;
    const ce = callerEnd(s, te, end);
    if (ce > 0) {
      // `[ T123]`: the id without the spaces that pad it.
      let c0 = te + 1;
      while (s.charCodeAt(c0) === SPACE) c0++;
      this.callerStart = c0;
      this.callerEnd = ce - 1;
      b = ce;
    }
    if (b < end && s.charCodeAt(b) === SPACE) b++;
    this.body = b;
    return this;
  }

  /**
   * End index (after `]`) of a `[  12.345678]` time stamp at `i` that ends by `end`, or -1. Its
   * seconds go to `time`, read in the same pass (this runs on every line).
   */
  timestamp(s: string, i: number, end: number): number {
    if (i >= end || s.charCodeAt(i) !== LBRACKET) return -1;
    let j = i + 1;
    while (j < end && s.charCodeAt(j) === SPACE) j++;
    const d0 = j;
    let int = 0;
    for (; j < end; j++) {
      const c = s.charCodeAt(j);
      if (!isDigit(c)) break;
      int = int * 10 + (c - 48);
    }
    if (j === d0 || j >= end || s.charCodeAt(j) !== DOT) return -1;
    j++;
    const f0 = j;
    let frac = 0;
    let scale = 1;
    for (; j < end; j++) {
      const c = s.charCodeAt(j);
      if (!isDigit(c)) break;
      frac = frac * 10 + (c - 48);
      scale *= 10;
    }
    if (j - f0 < 3 || j >= end || s.charCodeAt(j) !== RBRACKET) return -1;
    this.time = int + frac / scale;
    return j + 1;
  }
}

/** The line `s[start, end)`, whose prefix `p` has read, as a ConsoleLine (every field present: one shape for all lines). */
export function consoleLineOf(s: string, start: number, end: number, p: PrintkPrefix): ConsoleLine {
  const raw = start === 0 && end === s.length ? s : s.slice(start, end);
  return {
    raw,
    body: p.body === start ? raw : s.slice(p.body, end),
    caller: p.callerEnd > p.callerStart ? s.slice(p.callerStart, p.callerEnd) : undefined,
    time: p.time === p.time ? p.time : undefined,
  };
}

const scratch = new PrintkPrefix();
/** For isTimestampAt alone: a check inside a line never overwrites a prefix being read. */
const probe = new PrintkPrefix();

export function splitConsoleLine(raw: string): ConsoleLine {
  return consoleLineOf(raw, 0, raw.length, scratch.read(raw, 0, raw.length));
}

/** Where a second printk record may start on the line `s[start, end)`: past its first character and its `<N>` level. */
export function nextRecordFrom(s: string, start: number, end: number): number {
  if (s.charCodeAt(start) !== LT) return start + 1;
  // The first `>` of the line (searched by hand: an indexOf could run on past the line).
  for (let j = start + 1; j < end; j++) if (s.charCodeAt(j) === GT) return j + 2;
  return start + 1;
}

/** A `[` at `at` opens a printk time stamp that ends by `end`. */
export function isTimestampAt(s: string, at: number, end: number): boolean {
  // A time stamp needs a space or a digit right after '['.
  const c = s.charCodeAt(at + 1);
  return (c === SPACE || isDigit(c)) && probe.timestamp(s, at, end) > 0;
}

/**
 * A console line that holds more than one printk record: when two CPUs print at once, or
 * after `** N printk messages dropped **`, a time stamp shows up in the middle of a line.
 * Returns the pieces, each starting at a time stamp (the first may have none).
 */
export function splitAtTimestamps(raw: string): string[] {
  let at = raw.indexOf('[', nextRecordFrom(raw, 0, raw.length));
  if (at < 0) return [raw];
  let pieces: string[] | undefined;
  let from = 0;
  while (at >= 0) {
    if (isTimestampAt(raw, at, raw.length)) {
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
