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

/**
 * Crash records from one piece of evidence, whatever it is, told by its content, never by its
 * name: Windows dumps, event exports and Hyper-V crash logs first, a Linux console log otherwise.
 */
export function detectEvidence(path: string, buf: Buffer): EvidenceResult {
  // Decoded at most once (a console log of hundreds of MB is read as text by the sniffer and the
  // parser), and never for a binary dump.
  let text: string | undefined;
  const getText = () => (text ??= decodeText(buf));
  const win = sniffWindowsEvidence(buf, path, getText);
  if (win) return { path, kind: win.kinds.join('+') || 'windows', crashes: win.records, notes: win.notes.length ? win.notes : undefined };
  return { path, kind: 'linux-console', crashes: parseLinuxConsole(getText()) };
}
