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
import { syscallName } from './linux-syscall-name.js';
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

/** What names a report: its title (the signature is the title's), and the guilty function and module. */
export interface ReportTitle {
  title: string;
  fn?: string;
  module?: string;
  /** The report was cut or garbled: no call trace backs its culprit, or it shared a line with another. */
  corrupted: boolean;
}

/** The title and culprit of a report: all a caller needs to tell a repeat of a report it has seen. */
export function reportTitle(input: ReportInput): ReportTitle {
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
  if (hit.mode === 'hang' && !input.spliced && stackHidden(lines)) {
    // The hung-task message is whole, but its stack went out at KERN_INFO, below the console's
    // log level (loglevel=5): nothing names a function, and nothing was cut.
  } else if (hit.mode !== 'none') {
    const c = culprit(hit, lines);
    if (c.frame) {
      fn = c.frame.fn;
      module = c.frame.module;
    }
    if (c.frame && (c.backed || hit.trustFrame)) {
      titleFn = syscallName(c.frame.fn);
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
  if (hit.panic && fn === undefined) {
    // A panic() with no report before it: its message is the title, and the first frame of its
    // call trace past the panic machinery (dump_stack, panic, vpanic...) is who called it.
    const c = culprit({ ...hit, mode: 'stack' }, lines);
    if (c.frame && c.backed) {
      fn = c.frame.fn;
      module = c.frame.module;
    }
  }
  // lockdep splat with no lock or stack to name: its own header line is the stablest title.
  const title =
    hit.mode === 'lock' && titleFn === CORRUPTED_FUNCTION
      ? normalizeMessage((lines[0] as ConsoleLine).body.trim().replace(/^\[ (.*) \]$/, '$1'))
      : composeTitle(stem, titleFn);
  return { title, fn, module, corrupted };
}

/**
 * kernel/hung_task.c prints its header lines at KERN_ERR (ending with the `echo 0 >
 * .../hung_task_timeout_secs` hint) and the task's stack at KERN_INFO: a console that shows the
 * hint and no trace at all did not print the stack, rather than lose it.
 */
function stackHidden(lines: ConsoleLine[]): boolean {
  if (!lines.some((l) => l.body.includes('hung_task_timeout_secs'))) return false;
  return !lines.some((l) => /Call [Tt]race|Backtrace:|\+0x[0-9a-f]+\/0x/.test(l.body));
}

/** The record of a report named `t` (with the signature of `t.title`, when the caller has it). */
export function reportRecord(input: ReportInput, t: ReportTitle, signature = signatureOf(t.title)): CrashRecord {
  const { hit, lines } = input;
  // The excerpt leaves out other printk callers' lines (but a stall report shows other CPUs).
  const shown = ownLines(lines, hit.mode !== 'stall');
  const excerpt = [...input.before, ...shown.slice(0, EXCERPT_LINES - input.before.length).map((l) => l.raw)].join('\n');
  const record: CrashRecord = {
    os: 'linux',
    source: 'console',
    class: hit.cls,
    title: t.title,
    signature,
    excerpt,
  };
  if (t.fn !== undefined) record.function = t.fn;
  if (t.module !== undefined) record.module = t.module;
  const tainted = taintOf(lines.slice(0, 200));
  if (tainted !== undefined) record.tainted = tainted;
  if (t.corrupted) record.corrupted = true;
  return record;
}
