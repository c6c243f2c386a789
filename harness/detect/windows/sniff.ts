/**
 * Tells by content which kind of Windows crash evidence a file is, and reads it.
 *
 * 1. binary, by a header that validates (never by its magic bytes alone): kernel dump ("PAGEDU64" /
 *    "PAGEDUMP"), user-mode minidump ("MDMP"), binary event log ("ElfFile", .evtx: not parsed, export
 *    it with `wevtutil qe System /f:xml`);
 * 2. text (UTF-8, or UTF-16 as PowerShell 5 redirection writes it): event XML; QMP lines, QEMU and
 *    libvirt log lines with Hyper-V crash parameters; event 1001 text, or an event text export
 *    (Format-List / wevtutil /f:text) with no bugcheck in it (see text-evidence.ts).
 *
 * `undefined` means "not Windows evidence". An empty array means Windows evidence with no bugcheck in it
 * (a clean event log, a minidump, a dump header that holds no bugcheck or is cut before the code): the
 * notes say which.
 */
import type { CrashRecord } from '../../results/crash-record.js';
import { decodeText } from '../text-encoding.js';
import { kernelDumpBits, kernelDumpHeaderProblem, parseKernelDumpHeader } from './dump-header.js';
import { isMinidump, minidumpHeaderProblem, parseMinidump } from './minidump.js';
import { WindowsTextReader } from './text-evidence.js';

export { decodeText };

export type EvidenceKind = 'kernel-dump' | 'minidump' | 'evtx' | 'event-xml' | 'event-text' | 'hyperv-crash-log';

export interface WindowsEvidence {
  kinds: EvidenceKind[];
  records: CrashRecord[];
  notes: string[];
}

/**
 * A binary Windows evidence file told from its first bytes: `evidence` when it is one; else,
 * when it only starts like one, a `note` saying why it is not.
 */
export function binaryEvidence(head: Buffer, label = ''): { evidence?: WindowsEvidence; note?: string } {
  if (kernelDumpBits(head) !== undefined) {
    const problem = kernelDumpHeaderProblem(head);
    if (problem) return { note: `${label}starts like a kernel dump but its header does not validate (${problem}): read as text` };
    const r = parseKernelDumpHeader(head);
    if (r.ok) {
      const notes = r.header.truncated ? [`${label}dump header shorter than ${r.header.bits === 64 ? 0x2000 : 0x1000} bytes`] : [];
      return { evidence: { kinds: ['kernel-dump'], records: [r.record], notes } };
    }
    return { evidence: { kinds: ['kernel-dump'], records: [], notes: [`${label}${r.note}`] } };
  }
  if (isMinidump(head)) {
    const problem = minidumpHeaderProblem(head);
    if (problem) return { note: `${label}starts like a minidump but its header does not validate (${problem}): read as text` };
    return { evidence: { kinds: ['minidump'], records: [], notes: [`${label}${parseMinidump(head)!.note}`] } };
  }
  if (head.length >= 8 && head.toString('latin1', 0, 8) === 'ElfFile\0') {
    return {
      evidence: {
        kinds: ['evtx'],
        records: [],
        notes: [`${label}binary .evtx event log is not parsed: export it with wevtutil qe System /f:xml`],
      },
    };
  }
  return {};
}

/** What a whole buffer is and the records it holds, or undefined when it is not Windows evidence. */
export function sniffWindowsEvidence(buf: Buffer, name?: string): WindowsEvidence | undefined {
  const label = name ? `${name}: ` : '';
  const binary = binaryEvidence(buf, label);
  if (binary.evidence) return binary.evidence;
  const text = decodeText(buf);
  if (text.includes('\0')) return undefined; // some other binary file
  const reader = new WindowsTextReader(label);
  reader.push(text);
  const got = reader.end();
  return got.kinds.length ? { kinds: got.kinds as EvidenceKind[], records: got.records, notes: got.notes } : undefined;
}

/** The CrashRecords of a Windows evidence file, [] when it holds none, undefined when it isn't Windows evidence. */
export function detectWindowsEvidence(buf: Buffer, name?: string): CrashRecord[] | undefined {
  return sniffWindowsEvidence(buf, name)?.records;
}
