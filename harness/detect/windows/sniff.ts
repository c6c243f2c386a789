/**
 * Tells by content which kind of Windows crash evidence a file is, and reads it.
 *
 * Checked in this order:
 * 1. binary: kernel dump header ("PAGEDU64" / "PAGEDUMP"), user-mode minidump ("MDMP"), binary event log
 *    ("ElfFile", .evtx: not parsed, export it with `wevtutil qe System /f:xml`);
 * 2. text (UTF-8, or UTF-16 as PowerShell 5 redirection writes it): event XML; QMP lines, QEMU and
 *    libvirt log lines with Hyper-V crash parameters; event 1001 text, or an event text export
 *    (Format-List / wevtutil /f:text) with no bugcheck in it.
 *
 * `undefined` means "not Windows evidence": the caller can try the Linux console parser. An empty array
 * means Windows evidence with no bugcheck in it (a clean event log, a minidump, a dump header that holds
 * no bugcheck or is cut before the code): the notes say which.
 */
import type { CrashRecord } from '../../results/crash-record.js';
import { parseKernelDumpHeader, kernelDumpBits } from './dump-header.js';
import { parseMinidump } from './minidump.js';
import { looksLikeEventXml, parseEventXml, parseEvent1001Text, unwrap, findBugcheckTexts, WER_PROVIDER } from './event-log.js';
import { parseHypervCrashLog } from './hyperv-crash.js';
import { pushAll } from '../../util/arrays.js';

export type EvidenceKind =
  | 'kernel-dump'
  | 'minidump'
  | 'evtx'
  | 'event-xml'
  | 'event-text'
  | 'hyperv-crash-log';

export interface WindowsEvidence {
  kinds: EvidenceKind[];
  records: CrashRecord[];
  notes: string[];
}

/** Text of a buffer: UTF-8 (BOM dropped) or UTF-16 LE/BE (with BOM, or LE guessed from NUL bytes). */
export function decodeText(buf: Buffer): string {
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return buf.subarray(2).toString('utf16le');
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) {
    const swapped = Buffer.from(buf.subarray(2));
    swapped.swap16();
    return swapped.toString('utf16le');
  }
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return buf.subarray(3).toString('utf8');
  // UTF-16 LE without BOM: ASCII text has a NUL in every odd byte.
  const probe = buf.subarray(0, Math.min(buf.length, 512) & ~1);
  if (probe.length >= 8) {
    let oddNul = 0;
    for (let i = 1; i < probe.length; i += 2) if (probe[i] === 0) oddNul++;
    if (oddNul >= (probe.length / 2) * 0.9) return buf.toString('utf16le', 0, buf.length & ~1);
  }
  return buf.toString('utf8');
}

const EVENT_TEXT_EXPORT = /^\s*(ProviderName\s*:|Log Name:|Event\[\d+\]:)/m;

function binaryEvidence(buf: Buffer, label: string): WindowsEvidence | undefined {
  if (kernelDumpBits(buf) !== undefined) {
    const r = parseKernelDumpHeader(buf);
    if (r.ok) {
      const notes = r.header.truncated ? [`${label}dump header shorter than ${r.header.bits === 64 ? 0x2000 : 0x1000} bytes`] : [];
      return { kinds: ['kernel-dump'], records: [r.record], notes };
    }
    return { kinds: ['kernel-dump'], records: [], notes: [`${label}${r.note}`] };
  }
  const mini = parseMinidump(buf);
  if (mini) return { kinds: ['minidump'], records: [], notes: [`${label}${mini.note}`] };
  if (buf.length >= 8 && buf.toString('latin1', 0, 8) === 'ElfFile\0') {
    return {
      kinds: ['evtx'],
      records: [],
      notes: [`${label}binary .evtx event log is not parsed: export it with wevtutil qe System /f:xml`],
    };
  }
  return undefined;
}

/** What the buffer is and the records it holds, or undefined when it is not Windows evidence. */
/** `getText`: the caller's decoding of buf, when it needs the text too (asked for only when buf is not a dump). */
export function sniffWindowsEvidence(buf: Buffer, name?: string, getText?: () => string): WindowsEvidence | undefined {
  const label = name ? `${name}: ` : '';
  const binary = binaryEvidence(buf, label);
  if (binary) return binary;

  const text = getText ? getText() : decodeText(buf);
  if (text.includes('\0')) return undefined; // some other binary file

  const kinds: EvidenceKind[] = [];
  const records: CrashRecord[] = [];
  const notes: string[] = [];

  const xml = looksLikeEventXml(text);
  if (xml) {
    kinds.push('event-xml');
    pushAll(records, parseEventXml(text));
  }

  const hv = parseHypervCrashLog(text);
  if (hv.length > 0) {
    kinds.push('hyperv-crash-log');
    pushAll(records, hv);
  }

  if (!xml) {
    const flat = unwrap(text);
    const bugcheckWords = /bugcheck/i.test(flat) || flat.includes(WER_PROVIDER);
    const export_ = EVENT_TEXT_EXPORT.test(text) && /Microsoft-Windows-|Kernel-Power|BugCheck/.test(text);
    if ((bugcheckWords && findBugcheckTexts(flat).length > 0) || export_) {
      kinds.push('event-text');
      pushAll(records, parseEvent1001Text(text));
    }
  }

  if (kinds.length === 0) return undefined;
  if (records.length === 0) notes.push(`${label}Windows ${kinds.join(', ')} with no bugcheck`);
  return { kinds, records, notes };
}

/** The CrashRecords of a Windows evidence file, [] when it holds none, undefined when it isn't Windows evidence. */
export function detectWindowsEvidence(buf: Buffer, name?: string): CrashRecord[] | undefined {
  return sniffWindowsEvidence(buf, name)?.records;
}
