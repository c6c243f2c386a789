/**
 * Windows event XML read in pieces: each `<Event>` element is cut out as it completes and read by
 * the XML parser (readEventElement), so an export of any size is read with one event in memory at a time.
 */
import type { CrashRecord } from '../../results/crash-record.js';
import { detached } from '../text-reader.js';
import { abbreviate } from '../../util/text.js';
import { eventRecords, readEventElement } from './event-log.js';
import { eventEnd, eventStart } from './event-xml-split.js';

const OPEN = '<Event';
/** An event longer than this is skipped, not kept growing (real ones are a few KiB). */
const MAX_EVENT_CHARS = 1 << 20;
const EVENT_ID = /<EventID[\s>]/;

export class EventXmlScanner {
  readonly records: CrashRecord[] = [];
  /** Records past `max`, counted and not kept. */
  dropped = 0;
  /** Events skipped for their size. */
  oversized = 0;
  /** Events skipped because they are not well-formed XML, and the first one's error. */
  malformed = 0;
  firstMalformed?: string;
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
      const j = eventEnd(s);
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
      this.event(s.slice(0, j));
      s = s.slice(j);
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
    const ev = readEventElement(xml);
    if (typeof ev === 'string') {
      this.malformed++;
      this.firstMalformed ??= abbreviate(ev, 200);
      return;
    }
    for (const r of eventRecords([ev])) {
      if (this.records.length < this.max) this.records.push(detached(r));
      else this.dropped++;
    }
  }
}
