import { LinuxConsoleDetector, type PositionedRecord } from './linux-console.js';
import { detached, droppedNote, MAX_RECORDS, type TextEvidenceReader, type TextReading } from './text-reader.js';

/**
 * The Linux console parser as an evidence reader: it reads any text (a console is whatever the
 * guest printed), so it runs on every text file. NUL bytes are dropped first: a serial console
 * picks them up around resets, and they carry nothing, but one in front of a crash line would
 * hide its printk prefix.
 */
export class LinuxConsoleReader implements TextEvidenceReader {
  private readonly detector = new LinuxConsoleDetector();
  private readonly found: PositionedRecord[] = [];
  private dropped = 0;

  constructor(private readonly label = '') {}

  push(text: string): void {
    this.keep(this.detector.feed(text.includes('\0') ? text.replaceAll('\0', '') : text));
  }

  end(): TextReading {
    this.keep(this.detector.finish());
    // Interleaved reports can complete out of order; the log order is the order they began in.
    const records = this.found.sort((a, b) => a.start - b.start).map((e) => e.record);
    const evidence = records.length > 0 || this.detector.printkLines > 0;
    return {
      kinds: evidence ? ['linux-console'] : [],
      records,
      notes: this.dropped ? [droppedNote(this.label, this.dropped, 'Linux crash')] : [],
    };
  }

  private keep(got: PositionedRecord[]): void {
    for (const r of got) {
      if (this.found.length < MAX_RECORDS) this.found.push({ record: detached(r.record), start: r.start });
      else this.dropped++;
    }
  }
}
