/**
 * Event 1001 text (Format-List, wevtutil /f:text, a bare message) read in pieces, with what
 * parseEvent1001Text finds in a whole text: every `code (p1, p2, p3, p4)` of the text with its line
 * breaks and their indentation removed (Format-List wraps values, even inside a number).
 *
 * Unwrapping a whole console log would cost as much as parsing it, so only the text around each
 * candidate is unwrapped: every bugcheck text has `(`, then white space or a wrap, then `0x`; a
 * console has few of those. Kept between pieces: the raw text a candidate near the end still needs.
 *
 * The text is event text when it names bugchecks and holds one (`bugcheck` or the WER provider,
 * and a code with its parameters), or when it has the fields of an event export (`ProviderName :`,
 * `Log Name:`, `Event[n]:`) and a Windows provider.
 */
import type { CrashRecord } from '../../results/crash-record.js';
import { detached } from '../text-reader.js';
import { bugcheckRecord } from './bugcheck-record.js';
import { findBugcheckTexts, messageAround, unwrap, WER_PROVIDER } from './event-log.js';

const isSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9 || c === 11 || c === 12;

const isHexDigit = (c: number) => (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);

/**
 * Index of the next `(` at or after `from` that a code precedes and a parameter follows: a hex digit
 * before it, white space, then `0x` after it (a wrap, line break and indentation, may split `0` from
 * `x`); -1 when none in the text at hand. A register dump's `(0000)` and a call such as
 * `socket$alg(0x26, ...)` in a reproducer are no candidates.
 */
function candidateAt(s: string, from: number): number {
  for (let i = s.indexOf('(', from); i >= 0; i = s.indexOf('(', i + 1)) {
    let k = i - 1;
    while (k >= 0 && isSpace(s.charCodeAt(k))) k--;
    if (k >= 0 && !isHexDigit(s.charCodeAt(k))) continue;
    let j = i + 1;
    while (isSpace(s.charCodeAt(j))) j++;
    if (s.charCodeAt(j) !== 48 /* 0 */) continue;
    j++;
    if (s.charCodeAt(j) === 13) j++;
    if (s.charCodeAt(j) === 10) {
      j++;
      while (s.charCodeAt(j) === 32 || s.charCodeAt(j) === 9) j++;
    }
    const x = s.charCodeAt(j);
    if (x === 120 || x === 88) return i;
  }
  return -1;
}

/** Raw characters read before and after a candidate's `(`: the code and messageAround's context, with wraps. */
const BEFORE_RAW = 400;
const AFTER_RAW = 1200;
/** A `(` this near the end may still get its `0x` from the next piece. */
const TRAIL = 256;
const EXPORT_FIELDS = /^\s*(ProviderName\s*:|Log Name:|Event\[\d+\]:)/m;
const BUGCHECK_WORD = /bugcheck/i;

const hasWindowsProvider = (s: string) => s.includes('Microsoft-Windows-') || s.includes('Kernel-Power') || s.includes('BugCheck');
const mayHaveExportFields = (s: string) => s.includes('ProviderName') || s.includes('Log Name:') || s.includes('Event[');

export class EventTextScanner {
  private readonly found: CrashRecord[] = [];
  /** Records past `max`, counted and not kept. */
  dropped = 0;
  /**
   * Raw text carried from the pieces before: their last characters, or from a candidate that waits
   * for more text on. Pieces are never joined whole (a copy of each would cost more than the search).
   */
  private head = '';
  /** Candidates in `head` start at or after this index: the ones before it were read. */
  private from = 0;
  private bugcheckWord = false;
  private exportFields = false;
  private windowsProvider = false;

  constructor(private readonly max = Infinity) {}

  /** The next piece of text, split anywhere. */
  push(piece: string): void {
    // The seam between head and piece is looked at too: a word may be cut there.
    const seam = this.head + piece.slice(0, AFTER_RAW + TRAIL);
    for (const t of [seam, piece]) {
      // An export names a Windows provider in every event: its fields are looked for only where one
      // is named, which spares a console log three searches a piece.
      const provider = hasWindowsProvider(t);
      if (provider) this.windowsProvider = true;
      if (!this.exportFields && provider && mayHaveExportFields(t) && EXPORT_FIELDS.test(t)) this.exportFields = true;
      this.sawWords(t);
    }
    this.scan(seam, piece, false);
  }

  /** The records, when the text is event text; undefined when it is not. */
  end(): CrashRecord[] | undefined {
    this.scan(this.head, '', true);
    this.head = '';
    const evidence = (this.bugcheckWord && this.found.length > 0) || (this.exportFields && this.windowsProvider);
    return evidence ? this.found : undefined;
  }

  private sawWords(text: string): void {
    if (!this.bugcheckWord && (BUGCHECK_WORD.test(text) || text.includes(WER_PROVIDER))) this.bugcheckWord = true;
  }

  /**
   * Reads the candidates of head and piece (`seam` is head followed by the start of piece); unless
   * `final`, one too near the end waits in the next head for more text.
   */
  private scan(seam: string, piece: string, final: boolean): void {
    const head = this.head;
    const whole = seam.length === head.length + piece.length; // the piece is short: seam holds all of it
    // Candidates whose `(` lies in the head.
    for (let k = candidateAt(seam, this.from); k >= 0 && k < head.length; k = candidateAt(seam, k + 1)) {
      if (!final && whole && k + AFTER_RAW > seam.length) return this.carry(seam, k);
      this.candidate(seam.slice(Math.max(0, k - BEFORE_RAW), k + AFTER_RAW), Math.min(k, BEFORE_RAW));
    }
    // Candidates in the piece: searched in place.
    for (let i = candidateAt(piece, 0); i >= 0; i = candidateAt(piece, i + 1)) {
      if (!final && i + AFTER_RAW > piece.length) {
        // It waits with its context: from the piece alone, or (a short piece) from head and piece.
        return i >= BEFORE_RAW ? this.carry(piece, i) : this.carry(head + piece, head.length + i);
      }
      if (i >= BEFORE_RAW) this.candidate(piece.slice(i - BEFORE_RAW, i + AFTER_RAW), BEFORE_RAW);
      else {
        const before = head.slice(Math.max(0, head.length + i - BEFORE_RAW));
        this.candidate(before + piece.slice(0, i + AFTER_RAW), before.length + i);
      }
    }
    // Nothing waits: keep what a `(` near the end (its `0` still to come) and its context need.
    const keep = BEFORE_RAW + TRAIL;
    this.head = piece.length >= keep ? piece.slice(-keep) : (head + piece).slice(-keep);
    this.from = Math.max(0, this.head.length - TRAIL);
  }

  /** The candidate at text[at] waits for the next piece: carry it and its context. */
  private carry(text: string, at: number): void {
    const keepFrom = Math.max(0, at - BEFORE_RAW);
    this.head = text.slice(keepFrom);
    this.from = at - keepFrom;
  }

  /** The bugcheck text whose `(` is at raw[paren], if there is one. */
  private candidate(raw: string, paren: number): void {
    const flat = unwrap(raw);
    const at = unwrap(raw.slice(0, paren)).length;
    for (const hit of findBugcheckTexts(flat)) {
      const p = hit.index + hit.match.indexOf('(');
      if (p > at) return;
      if (p < at) continue;
      this.sawWords(flat);
      if (this.found.length < this.max) {
        this.found.push(detached(bugcheckRecord({ code: hit.code, params: hit.params, source: 'event-log', excerpt: messageAround(flat, hit) })));
      } else this.dropped++;
      return;
    }
  }
}
