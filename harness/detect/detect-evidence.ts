/**
 * Crash records from one evidence file, whatever it is, told by its content, never by its name,
 * read in pieces with bounded memory.
 *
 * The file's head decides what it is. A binary Windows file whose header validates (a kernel dump,
 * a minidump, an .evtx) is read from its head alone: a MEMORY.DMP of many GB is never read whole.
 * Any other file is text, in the encoding its head shows, and every text reader reads all of it:
 * the Linux console parser and the Windows text scanners, each reporting the kinds it saw and the
 * records it found. So a line of one kind appended to a file of another can add records, never hide
 * any: a Linux console with a Windows event line after its crash gives the crash and the event.
 */
import type { CrashRecord } from '../results/crash-record.js';
import { LinuxConsoleReader } from './linux-console-reader.js';
import { sniffEncoding, TextStreamDecoder } from './text-encoding.js';
import type { TextEvidenceReader } from './text-reader.js';
import { binaryEvidence, type WindowsEvidence } from './windows/sniff.js';
import { WindowsTextReader } from './windows/text-evidence.js';

export interface EvidenceResult {
  path: string;
  /** What the content was taken for: one kind, or several joined by `+`. */
  kind: string;
  crashes: CrashRecord[];
  notes?: string[];
}

/** Bytes collected before deciding: every binary header read here, and text enough to tell its encoding. */
export const HEAD_BYTES = 64 << 10;
/**
 * Bytes decoded at a time. The strings stay small enough for V8's young generation, where a
 * scavenge frees them cheaply; a 1 MiB string goes to the large-object space and lives until a
 * full collection (RSS grew by 100 MiB with them).
 */
const DECODE_BYTES = 64 << 10;

/** One evidence file fed in pieces (push), then judged (end). */
export class EvidenceStream {
  private head: Buffer[] = [];
  private headBytes = 0;
  private dump: WindowsEvidence | undefined;
  private decoder: TextStreamDecoder | undefined;
  private readonly readers: TextEvidenceReader[] = [];
  private readonly notes: string[] = [];
  private readonly label: string;

  constructor(private readonly path: string) {
    this.label = `${path}: `;
  }

  /** The next bytes of the file; false once it needs no more (a dump is judged by its header). */
  push(bytes: Buffer): boolean {
    if (this.dump) return false;
    if (this.decoder) {
      this.decode(bytes);
      return true;
    }
    this.head.push(bytes);
    this.headBytes += bytes.length;
    return this.headBytes < HEAD_BYTES || this.decide();
  }

  end(): EvidenceResult {
    if (!this.dump && !this.decoder) this.decide();
    if (this.dump) return this.result(this.dump.kinds.join('+'), this.dump.records, [...this.notes, ...this.dump.notes]);
    this.text(this.decoder!.end());
    const readings = this.readers.map((r) => r.end());
    // Text no reader recognised is taken for a console that printed no kernel message.
    const kind = readings.flatMap((r) => r.kinds).join('+') || 'linux-console';
    return this.result(kind, readings.flatMap((r) => r.records), [...this.notes, ...readings.flatMap((r) => r.notes)]);
  }

  /** Judges the head: a dump ends the reading; text gets its decoder and readers. */
  private decide(): boolean {
    const head = this.head.length === 1 ? this.head[0]! : Buffer.concat(this.head);
    this.head = [];
    const binary = binaryEvidence(head, this.label);
    if (binary.evidence) {
      this.dump = binary.evidence;
      return false;
    }
    if (binary.note) this.notes.push(binary.note);
    const enc = sniffEncoding(head);
    if (enc.note) this.notes.push(`${this.label}${enc.note}`);
    this.decoder = new TextStreamDecoder(enc.encoding);
    this.readers.push(new LinuxConsoleReader(this.label));
    // NUL characters in the head: a binary file (a core file, a memory image) whose bits of event
    // text are no event export. The Linux parser still reads it: a console may carry NULs.
    const probe = new TextStreamDecoder(enc.encoding).write(head.subarray(enc.skip, HEAD_BYTES));
    if (!probe.includes('\0')) this.readers.push(new WindowsTextReader(this.label));
    this.decode(head.subarray(enc.skip));
    return true;
  }

  private decode(bytes: Buffer): void {
    for (let i = 0; i < bytes.length; i += DECODE_BYTES) this.text(this.decoder!.write(bytes.subarray(i, i + DECODE_BYTES)));
  }

  private text(s: string): void {
    if (s) for (const r of this.readers) r.push(s);
  }

  private result(kind: string, crashes: CrashRecord[], notes: string[]): EvidenceResult {
    return { path: this.path, kind, crashes, ...(notes.length ? { notes } : {}) };
  }
}

/** The evidence of a whole buffer. */
export function detectEvidence(path: string, buf: Buffer): EvidenceResult {
  const s = new EvidenceStream(path);
  s.push(buf);
  return s.end();
}

/** The evidence of a file or stream read in pieces; reading stops early when the head decides (a dump). */
export async function detectEvidenceIn(path: string, source: AsyncIterable<Buffer>): Promise<EvidenceResult> {
  const s = new EvidenceStream(path);
  for await (const piece of source) if (!s.push(piece)) break;
  return s.end();
}
