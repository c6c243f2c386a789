/**
 * What a console line may hold, told in place (no string is cut out): a second printk record (a
 * time stamp inside it), and the start of a crash header, at its beginning or further on. Most
 * lines hold neither: the Linux detector passes over them while no report is open, and skips the
 * header match on them inside a report. A flag set means "look closer", never "it is there".
 */
import { isTimestampAt, nextRecordFrom } from './console-line.js';
import { MID_LINE_HEADERS, startsLikeHeader } from './linux-header-starts.js';
import { NeedleCursor } from './needle-cursor.js';

/** A time stamp inside the line: it may hold two records (splitAtTimestamps decides). */
export const SECOND_RECORD = 1;
/** Text a crash header begins with, at the message's start or further on (matchHeader decides). */
export const MAY_BE_HEADER = 2;

export class LineTriage {
  private readonly brackets = new NeedleCursor(['[']);
  private readonly midLine = new NeedleCursor(MID_LINE_HEADERS);

  /** Starts on a new text; its lines are then asked about in order. */
  reset(text: string): void {
    this.brackets.reset(text);
    this.midLine.reset(text);
  }

  /** SECOND_RECORD and MAY_BE_HEADER of the line `text[start, end)`, whose message begins at `body`; 0 for neither. */
  flags(text: string, start: number, end: number, body: number): number {
    let f = startsLikeHeader(text, body, end) || this.midLine.anyIn(start, end) ? MAY_BE_HEADER : 0;
    for (let at = nextRecordFrom(text, start, end); (at = this.brackets.nextOf(0, at)) < end; at++) {
      if (isTimestampAt(text, at, end)) {
        f |= SECOND_RECORD;
        break;
      }
    }
    return f;
  }
}
