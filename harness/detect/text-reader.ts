import type { CrashRecord } from '../results/crash-record.js';

/** What a reader of one text format found in a whole file. */
export interface TextReading {
  /** The formats whose evidence it saw (empty: the text is not of its kind). */
  kinds: string[];
  records: CrashRecord[];
  notes: string[];
}

/**
 * A reader of one kind of text evidence, fed the decoded file in pieces split anywhere. Every
 * reader reads every text file: one kind's markers in a file (a line appended to a console) can
 * never hide what another kind of reader finds there.
 */
export interface TextEvidenceReader {
  push(text: string): void;
  end(): TextReading;
}

/** Records kept per reader and file: a hostile file of a million distinct reports must not fill memory. */
export const MAX_RECORDS = 10_000;

export const droppedNote = (label: string, dropped: number, what: string) =>
  `${label}${dropped} more ${what} record(s) not kept (at most ${MAX_RECORDS} per file)`;

/**
 * A record that holds no part of the text it was read from. V8 keeps a slice of a string as a view
 * of the whole: a title sliced from a 1 MiB piece of a log would keep that piece alive as long as
 * the record, and a few hundred records would keep hundreds of MiB. A structured clone copies.
 */
export const detached = (r: CrashRecord): CrashRecord => structuredClone(r);
