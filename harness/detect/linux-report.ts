/**
 * Turns the console lines of one Linux crash report (header first) into a CrashRecord:
 * the guilty function and module, the title, taint and corruption.
 */
import { type CrashRecord, signatureOf } from '../results/crash-record.js';
import type { ConsoleLine } from './console-line.js';
import { culprit } from './linux-culprit.js';
import type { HeaderHit } from './linux-headers.js';
import { isHelperFrame } from './linux-helper-frames.js';
import { accessKind, ownLines, taintOf } from './linux-stack.js';
import { CORRUPTED_FUNCTION, composeTitle, normalizeMessage } from './linux-title.js';

export const EXCERPT_LINES = 120;

export interface ReportInput {
  hit: HeaderHit;
  /** The header line first, then the lines that followed it (possibly from other callers). */
  lines: ConsoleLine[];
  /** Lines printed just before the header that belong to the report (`[ cut here ]`, `=====`). */
  before: string[];
  /** The header came out of a line that held two messages (a console interleave). */
  spliced: boolean;
}

export function analyzeReport(input: ReportInput): CrashRecord {
  const { hit, lines } = input;
  let stem = hit.stem;
  if (hit.access) {
    const a = accessKind(lines);
    if (a) stem = `${stem} ${a}`;
  }
  let fn: string | undefined;
  let module: string | undefined;
  let titleFn: string | undefined;
  let corrupted = input.spliced;
  if (hit.mode !== 'none') {
    const c = culprit(hit, lines);
    if (c.frame) {
      fn = c.frame.fn;
      module = c.frame.module;
    }
    if (c.frame && (c.backed || hit.trustFrame)) {
      titleFn = fn;
      if (!c.backed) corrupted = true;
    } else {
      // No call trace backs a culprit: a cut or garbled report. The title says so (it stays
      // stable); the function field keeps the best guess.
      corrupted = true;
      titleFn = CORRUPTED_FUNCTION;
      if (!c.frame && hit.frame && !isHelperFrame(hit.frame.fn)) {
        fn = hit.frame.fn;
        module = hit.frame.module;
      }
    }
  }
  // lockdep splat with no lock or stack to name: its own header line is the stablest title.
  const title =
    hit.mode === 'lock' && titleFn === CORRUPTED_FUNCTION
      ? normalizeMessage((lines[0] as ConsoleLine).body.trim().replace(/^\[ (.*) \]$/, '$1'))
      : composeTitle(stem, titleFn);
  // The excerpt leaves out other printk callers' lines (but a stall report shows other CPUs).
  const shown = ownLines(lines, hit.mode !== 'stall');
  const excerpt = [...input.before, ...shown.slice(0, EXCERPT_LINES - input.before.length).map((l) => l.raw)].join('\n');
  const record: CrashRecord = {
    os: 'linux',
    source: 'console',
    class: hit.cls,
    title,
    signature: signatureOf(title),
    excerpt,
  };
  if (fn !== undefined) record.function = fn;
  if (module !== undefined) record.module = module;
  const tainted = taintOf(lines.slice(0, 200));
  if (tainted !== undefined) record.tainted = tainted;
  if (corrupted) record.corrupted = true;
  return record;
}
