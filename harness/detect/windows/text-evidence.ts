/**
 * Windows crash evidence in text, read in pieces: event XML, QMP / QEMU / libvirt lines with Hyper-V
 * crash parameters, and event 1001 text (an event text export with no bugcheck counts as event text
 * too). All three scanners read the whole text; which of them saw their format gives the kinds.
 */
import type { CrashRecord } from '../../results/crash-record.js';
import { droppedNote, MAX_RECORDS, type TextEvidenceReader, type TextReading } from '../text-reader.js';
import { EventTextScanner } from './event-text-scan.js';
import { EventXmlScanner } from './event-xml-scan.js';
import { HypervCrashScanner, recordOf } from './hyperv-crash.js';

export class WindowsTextReader implements TextEvidenceReader {
  private readonly xml = new EventXmlScanner(MAX_RECORDS);
  private readonly hyperv = new HypervCrashScanner(MAX_RECORDS);
  private readonly text = new EventTextScanner(MAX_RECORDS);

  /** `label`: the file's name and ': ', for notes. */
  constructor(private readonly label = '') {}

  /** The next piece of text, split anywhere: each scanner carries what it needs across the seams. */
  push(text: string): void {
    this.xml.push(text);
    this.hyperv.push(text);
    this.text.push(text);
  }

  end(): TextReading {
    this.xml.end();
    this.hyperv.end();
    const kinds: string[] = [];
    const records: CrashRecord[] = [];
    const notes: string[] = [];
    if (this.xml.isEventXml) {
      kinds.push('event-xml');
      records.push(...this.xml.records);
      if (this.xml.dropped) notes.push(droppedNote(this.label, this.xml.dropped, 'event XML'));
    }
    if (this.xml.oversized) notes.push(`${this.label}${this.xml.oversized} <Event> element(s) over 1 MiB skipped`);
    if (this.xml.malformed) notes.push(`${this.label}${this.xml.malformed} <Event> element(s) that are not well-formed XML skipped (first: ${this.xml.firstMalformed})`);
    if (this.hyperv.crashes.length > 0) {
      kinds.push('hyperv-crash-log');
      records.push(...this.hyperv.crashes.map(recordOf));
      if (this.hyperv.dropped) notes.push(droppedNote(this.label, this.hyperv.dropped, 'Hyper-V crash'));
    }
    // The rendered message of event XML holds the 1001 text again: read once, from the XML.
    const eventText = this.xml.isEventXml ? undefined : this.text.end();
    if (eventText) {
      kinds.push('event-text');
      records.push(...eventText);
      if (this.text.dropped) notes.push(droppedNote(this.label, this.text.dropped, 'event text'));
    }
    if (kinds.length > 0 && records.length === 0) notes.push(`${this.label}Windows ${kinds.join(', ')} with no bugcheck`);
    return { kinds, records, notes };
  }
}
