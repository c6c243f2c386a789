/**
 * Windows event XML read in pieces: each `<Event>` element is cut out as it completes and read by
 * parseEventXml, so an export of any size is read with one event in memory at a time.
 */
import type { CrashRecord } from '../../results/crash-record.js';
import { detached } from '../text-reader.js';
import { parseEventXml } from './event-log.js';

const OPEN = '<Event';
const CLOSE = '</Event>';
/** An event longer than this is skipped, not kept growing (real ones are a few KiB). */
const MAX_EVENT_CHARS = 1 << 20;
const EVENT_ID = /<EventID[\s>]/;

/** `<Event` followed by white space or `>` (not `<EventData>`, `<EventID>`): its index, -1 when none. */
function eventStart(s: string, from = 0): number {
  for (let i = s.indexOf(OPEN, from); i >= 0; i = s.indexOf(OPEN, i + 1)) {
    const c = s.charCodeAt(i + OPEN.length);
    if (c === 62 /* > */ || c === 32 || c === 9 || c === 10 || c === 13) return i;
  }
  return -1;
}

export class EventXmlScanner {
  readonly records: CrashRecord[] = [];
  /** Records past `max`, counted and not kept. */
  dropped = 0;
  /** Events skipped for their size. */
  oversized = 0;
  /** The text seen holds `<Event>` elements with an `<EventID>`: it is event XML. */
  isEventXml = false;
  /** An `<Event` not closed yet, from its start; else the last characters, which may begin one. */
  private pending = '';
  private inEvent = false;

  constructor(private readonly max = Infinity) {}

  push(text: string): void {
    // Most text holds no event at all: a plain search, without joining the pieces.
    if (!this.inEvent && !text.includes(OPEN) && !(this.pending + text.slice(0, OPEN.length)).includes(OPEN)) {
      this.pending = text.length >= OPEN.length ? text.slice(-OPEN.length) : (this.pending + text).slice(-OPEN.length);
      return;
    }
    let s = this.pending + text;
    for (;;) {
      if (!this.inEvent) {
        const i = eventStart(s);
        if (i < 0) {
          // `<Event` and the character after it may still be cut at the end.
          this.pending = s.slice(-OPEN.length);
          return;
        }
        s = s.slice(i);
        this.inEvent = true;
      }
      const j = s.indexOf(CLOSE, OPEN.length);
      if (j < 0) {
        if (s.length > MAX_EVENT_CHARS) {
          this.oversized++;
          s = s.slice(OPEN.length);
          this.inEvent = false;
          continue;
        }
        this.pending = s;
        return;
      }
      this.event(s.slice(0, j + CLOSE.length));
      s = s.slice(j + CLOSE.length);
      this.inEvent = false;
    }
  }

  /** The end of the text: an event cut before its end still says the file is event XML. */
  end(): void {
    if (this.inEvent && EVENT_ID.test(this.pending)) this.isEventXml = true;
    this.pending = '';
    this.inEvent = false;
  }

  private event(xml: string): void {
    if (!this.isEventXml && EVENT_ID.test(xml)) this.isEventXml = true;
    for (const r of parseEventXml(xml)) {
      if (this.records.length < this.max) this.records.push(detached(r));
      else this.dropped++;
    }
  }
}
