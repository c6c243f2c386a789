import type { CrashRecord } from '../results/crash-record.js';
import { parseLinuxConsole } from './linux-console.js';
import { sniffWindowsEvidence, decodeText } from './windows/sniff.js';

export interface EvidenceResult {
  path: string;
  /** What the content was taken for. */
  kind: string;
  crashes: CrashRecord[];
  notes?: string[];
}

/** One kind of evidence file: says by its content whether it reads it, and reads it. */
interface EvidenceReader {
  readonly name: string;
  /** Undefined when the content is not this reader's kind. */
  read(buf: Buffer, path: string, text: () => string): Omit<EvidenceResult, 'path'> | undefined;
}

/**
 * The readers, tried in order; the first that knows the content answers. Windows evidence has
 * magic numbers and fixed markers, so it goes first; a Linux console log is any other text.
 */
const EVIDENCE_READERS: readonly EvidenceReader[] = [
  {
    name: 'windows',
    read: (buf, path, text) => {
      const win = sniffWindowsEvidence(buf, path, text);
      return win && { kind: win.kinds.join('+') || 'windows', crashes: win.records, notes: win.notes.length ? win.notes : undefined };
    },
  },
  { name: 'linux-console', read: (_buf, _path, text) => ({ kind: 'linux-console', crashes: parseLinuxConsole(text()) }) },
];

/** Crash records from one piece of evidence, whatever it is, told by its content, never by its name. */
export function detectEvidence(path: string, buf: Buffer): EvidenceResult {
  // Decoded at most once (a console log of hundreds of MB is read as text by the sniffer and the
  // parser), and never for a binary dump.
  let text: string | undefined;
  const getText = () => (text ??= decodeText(buf));
  for (const r of EVIDENCE_READERS) {
    const got = r.read(buf, path, getText);
    if (got) return { path, ...got };
  }
  return { path, kind: 'unknown', crashes: [] };
}
