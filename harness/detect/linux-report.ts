/**
 * Turns the console lines of one Linux crash report (header first) into a CrashRecord:
 * the guilty function and module, the title, taint and corruption.
 */
import { type CrashRecord, signatureOf } from './crash-record.js';
import type { ConsoleLine } from './console-line.js';
import type { HeaderHit } from './linux-headers.js';
import { type Frame, cleanFunctionName, parseFrame, parseIpLine, parseLockAt } from './linux-frames.js';
import { isDispatchFrame } from './linux-dispatch-frames.js';
import { isHelperFrame, isLeakHelperFrame } from './linux-helper-frames.js';
import { parseTaint } from './linux-taint.js';
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
  /** The log ended before the report did. */
  truncated: boolean;
}

interface StackEntry {
  frame: Frame;
  /** Inside an `<IRQ>`/`<NMI>` section of the stack. */
  irq: boolean;
  /** From an instruction-pointer line (RIP:, pc :, PC is at), not a call-trace line. */
  ip: boolean;
}

/** Lines after which frames belong to another stack than the crashing one. */
const SECTION_ENDS = [
  'Allocated by task',
  'Freed by task',
  'Last potentially related work creation',
  'Second to last potentially related',
  'The buggy address',
  'Memory state around',
  'Uninit was ',
  'Local variable ',
  'Showing all locks held',
  'Showing busy workqueues',
  '---[ end trace',
  '---[ end Kernel panic',
  'Kernel Offset:',
  'INFO: task ',
  'allocated by task ',
  'freed by task ',
  'irq event stamp:',
];

/** Lines that start a side trace (not the crashing stack) printed before the main one. */
const ASIDES = ['page last allocated via', 'page last free', 'page_owner tracks', 'page_owner info'];

/** First characters of SECTION_ENDS and ASIDES: most lines are rejected on it. */
const SECTION_CHARS = new Set([...SECTION_ENDS, ...ASIDES].map((s) => s.charCodeAt(0)));

function startsWithAny(body: string, prefixes: string[]): boolean {
  let i = 0;
  while (body.charCodeAt(i) === 32 || body.charCodeAt(i) === 9) i++;
  if (!SECTION_CHARS.has(body.charCodeAt(i))) return false;
  for (const p of prefixes) if (body.startsWith(p, i)) return true;
  return false;
}

function isAside(body: string): boolean {
  return startsWithAny(body, ASIDES);
}

function isSectionEnd(body: string): boolean {
  return startsWithAny(body, SECTION_ENDS);
}

function stackMarker(t: string): 'irq' | 'task' | null {
  if (t.startsWith('<IRQ>') || t.startsWith('<NMI>') || t.startsWith('<SOFTIRQ>')) return 'irq';
  if (t.startsWith('</IRQ>') || t.startsWith('</NMI>') || t.startsWith('</SOFTIRQ>') || t.startsWith('<EOI>')) {
    return 'task';
  }
  return null;
}

/** The lines of the crashing context: its own caller's, when the console prints callers. */
function ownLines(lines: ConsoleLine[], filter: boolean): ConsoleLine[] {
  const caller = lines[0]?.caller;
  if (!filter || caller === undefined) return lines;
  const own = lines.filter((l) => l.caller === undefined || l.caller === caller);
  return own;
}

/** Instruction pointers and call-trace frames of the crashing stack, in printed order. */
function stackEntries(lines: ConsoleLine[]): StackEntry[] {
  const out: StackEntry[] = [];
  let irq = false;
  let aside = false;
  for (let i = 1; i < lines.length; i++) {
    const body = (lines[i] as ConsoleLine).body;
    if (aside) {
      if (body.includes('Call Trace:') || body.includes('Call trace:')) aside = false;
      continue;
    }
    if (isAside(body)) {
      aside = true;
      continue;
    }
    if (out.length > 0 && isSectionEnd(body)) break;
    // Cheap filter: every frame and instruction pointer worth having carries `+0x` or `[inline]`.
    const framey = body.includes('+0x') || body.endsWith('[inline]');
    if (!framey && !body.includes('<')) {
      if (body.includes('RIP: 0033:') || body.includes('RIP: 0023:')) {
        if (out.length > 0) break;
      }
      continue;
    }
    const ip = parseIpLine(body);
    if (ip) {
      if (ip.kind === 'user') {
        if (out.length > 0) break;
        continue;
      }
      if (ip.frame) out.push({ frame: ip.frame, irq, ip: true });
      continue;
    }
    let text = body.trimStart();
    const marker = stackMarker(text);
    if (marker) {
      irq = marker === 'irq';
      // Old kernels print the marker and the next frame on one line: ` <IRQ>  [<..>] func+0x..`.
      text = text.slice(text.indexOf('>') + 1);
    }
    const f = parseFrame(text);
    if (!f) continue;
    const last = out[out.length - 1];
    if (!last || last.frame.fn !== f.fn || last.frame.unreliable !== f.unreliable) out.push({ frame: f, irq, ip: false });
    if (f.caller) out.push({ frame: f.caller, irq, ip: false });
  }
  return out;
}

/** The first usable frame on the lines from `from` on, while they are frames. */
function frameAfter(lines: ConsoleLine[], from: number): Frame | null {
  for (let j = from; j < lines.length && j < from + 40; j++) {
    const t = (lines[j] as ConsoleLine).body.trim();
    if (t === '...') continue;
    const f = parseFrame(t);
    if (!f) return null;
    if (!f.unreliable && !isHelperFrame(f.fn)) return f;
  }
  return null;
}

/**
 * lockdep: where the offending lock is taken. With `section` (e.g. `-irq-safe at:`), the
 * trace printed under that line; else the first `..., at: func` (or `at:` and a trace on the
 * next lines) that names a non-helper function.
 */
function lockFrame(lines: ConsoleLine[], section: string | undefined): { frame: Frame | null; any: Frame | null } {
  if (section) {
    for (let i = 1; i < lines.length; i++) {
      if ((lines[i] as ConsoleLine).body.includes(section)) {
        const f = frameAfter(lines, i + 1);
        if (f) return { frame: f, any: f };
        break;
      }
    }
  }
  let any: Frame | null = null;
  for (let i = 1; i < lines.length; i++) {
    const body = (lines[i] as ConsoleLine).body;
    if (body.trimStart().startsWith('stack backtrace:')) break;
    const at = parseLockAt(body);
    if (!at) continue;
    const f = at.trailing ? frameAfter(lines, i + 1) : at.frame;
    if (!f) continue;
    any ??= f;
    if (!f.unreliable && !isHelperFrame(f.fn)) return { frame: f, any };
  }
  return { frame: null, any };
}

/** kmemleak: the first non-allocator frame of the allocation backtrace. */
function leakFrame(lines: ConsoleLine[]): { frame: Frame | null; seen: boolean } {
  let inTrace = false;
  let seen = false;
  for (let i = 1; i < lines.length; i++) {
    const t = (lines[i] as ConsoleLine).body.trim();
    if (t.startsWith('backtrace')) {
      inTrace = true;
      continue;
    }
    if (!inTrace) continue;
    if (t.startsWith('unreferenced object') || t.startsWith('BUG: memory leak')) break;
    const f = parseFrame(t);
    if (!f) continue;
    seen = true;
    if (!f.unreliable && !isLeakHelperFrame(f.fn)) return { frame: f, seen };
  }
  return { frame: null, seen };
}

function accessKind(lines: ConsoleLine[]): string | undefined {
  for (let i = 1; i < lines.length && i < 8; i++) {
    const t = (lines[i] as ConsoleLine).body.trimStart();
    // `Read of size 8 at addr ...`, or with hardware tags `Read at addr ...`.
    if (t.startsWith('Read of size') || t.startsWith('Read at addr')) return 'Read';
    if (t.startsWith('Write of size') || t.startsWith('Write at addr')) return 'Write';
  }
  return undefined;
}

function taintOf(lines: ConsoleLine[]): string | undefined {
  for (const l of lines) {
    const b = l.body;
    if (b.includes('ainted')) {
      const t = parseTaint(b);
      if (t !== undefined) return t === '' ? undefined : t;
    }
  }
  return undefined;
}

/** A line naming the culprit outright (`     last function: addrconf_dad_work`). */
function namedFrame(lines: ConsoleLine[], label: string): Frame | null {
  for (let i = 1; i < lines.length && i < 20; i++) {
    const t = (lines[i] as ConsoleLine).body.trim();
    if (t.startsWith(label)) {
      const name = t.slice(label.length).trim().split(/[\s+]/)[0] ?? '';
      if (/^[A-Za-z_][\w.]*$/.test(name)) return { fn: cleanFunctionName(name), unreliable: false };
    }
  }
  return null;
}

interface Culprit {
  frame: Frame | null;
  /** The report has a readable call trace that backs the culprit. */
  backed: boolean;
}

function usable(e: StackEntry): boolean {
  return !e.frame.unreliable && !isHelperFrame(e.frame.fn);
}

/** The timer interrupt that ran the stall/lockup detector: frames up to it are the detector's. */
const INTERRUPT_ENTRY = /apic_timer_interrupt|^(?:gic_handle_irq|__irq_svc|el1_interrupt|el1h_64_irq|el1h_64_irq_handler|el1_irq|handle_arch_irq|arch_timer_handler_virt|arch_timer_handler_phys)$/;

/**
 * A stall's culprit: past the detector's own frames, the handler the nearest dispatch layer
 * called (stable while the loop inside it moves), else the first usable frame.
 */
function stallFrame(entries: StackEntry[]): Frame | null {
  let start = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as StackEntry;
    if (INTERRUPT_ENTRY.test(e.frame.fn)) {
      start = i + 1;
      break;
    }
    // Real frames before any interrupt entry: the stack starts in the stuck code itself.
    if (usable(e) && !isDispatchFrame(e.frame.fn)) break;
  }
  let first: Frame | null = null;
  let firstDispatch: Frame | null = null;
  let last: Frame | null = null;
  for (let i = start; i < entries.length; i++) {
    const e = entries[i] as StackEntry;
    if (!usable(e)) continue;
    if (isDispatchFrame(e.frame.fn)) {
      if (last) return last;
      firstDispatch ??= e.frame;
      continue;
    }
    last = e.frame;
    first ??= e.frame;
  }
  return first ?? firstDispatch;
}

/** The guilty frame, and whether a call trace backs it (if not, the report is corrupted). */
function culprit(input: ReportInput): Culprit {
  const { hit } = input;
  const stall = hit.mode === 'stall';
  // Stall reports print other CPUs' backtraces from their own contexts: keep every caller.
  const lines = ownLines(input.lines, !stall);
  if (hit.mode === 'leak') {
    const { frame, seen } = leakFrame(lines);
    return { frame, backed: seen && frame !== null };
  }
  if (hit.fnLabel) {
    const f = namedFrame(lines, hit.fnLabel);
    if (f) return { frame: f, backed: true };
  }
  let lockAny: Frame | null = null;
  if (hit.mode === 'lock') {
    const { frame, any } = lockFrame(lines, hit.lockSection);
    if (frame) return { frame, backed: true };
    lockAny = any;
  }
  const entries = stackEntries(lines);
  const trace = entries.filter((e) => !e.ip);
  // A trace with a usable frame backs the culprit; with none at all (cut short), the
  // instruction pointer alone still does; a trace of only stale or helper frames is garbage.
  const traceUsable = trace.some(usable);
  const header = hit.frame && !hit.frame.unreliable && !isHelperFrame(hit.frame.fn) ? hit.frame : null;
  if (header) {
    // A sanitizer names the faulting access itself; a WARNING's function needs a sane stack.
    return { frame: header, backed: hit.trustFrame ? trace.length > 0 : traceUsable };
  }
  if (stall) {
    const f = stallFrame(entries);
    return { frame: f, backed: f !== null && traceUsable };
  }
  const found = entries.find(usable);
  if (!found && lockAny) return { frame: lockAny, backed: true };
  return { frame: found?.frame ?? null, backed: found !== undefined && (traceUsable || (trace.length === 0 && found.ip)) };
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
    const c = culprit(input);
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
  const excerpt = [...input.before, ...lines.slice(0, EXCERPT_LINES - input.before.length).map((l) => l.raw)].join('\n');
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
