/**
 * What one Linux crash report says about its frames: the call trace (with instruction pointers),
 * lockdep `at:` references, the kmemleak allocation backtrace, lines that name a function;
 * and the access kind and taint it prints.
 */
import type { ConsoleLine } from './console-line.js';
import { type Frame, cleanFunctionName, frameOf, parseFrame, parseIpLine, parseLockAt } from './linux-frames.js';
import { isHelperFrame, isLeakHelperFrame } from './linux-helper-frames.js';
import { parseTaint } from './linux-taint.js';

export interface StackEntry {
  frame: Frame;
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
  while (i < body.length && (body.charCodeAt(i) === 32 || body.charCodeAt(i) === 9)) i++;
  if (i >= body.length || !SECTION_CHARS.has(body.charCodeAt(i))) return false;
  for (const p of prefixes) if (body.startsWith(p, i)) return true;
  return false;
}

function isAside(body: string): boolean {
  return startsWithAny(body, ASIDES);
}

function isSectionEnd(body: string): boolean {
  return startsWithAny(body, SECTION_ENDS);
}

/** `<IRQ>`, `</IRQ>`, `<NMI>`, `<TASK>`, `<EOI>`...: stack section markers (no frame). */
function isStackMarker(t: string): boolean {
  return t.charCodeAt(0) === 60 /* < */ && /^<\/?(?:IRQ|NMI|SOFTIRQ|TASK|EOI|#DF)>/.test(t);
}

/** The lines of the crashing context: its own caller's, when the console prints callers. */
export function ownLines(lines: ConsoleLine[], filter: boolean): ConsoleLine[] {
  const caller = lines[0]?.caller;
  if (!filter || caller === undefined) return lines;
  return lines.filter((l) => l.caller === undefined || l.caller === caller);
}

/** Instruction pointers and call-trace frames of the crashing stack, in printed order. */
export function stackEntries(lines: ConsoleLine[]): StackEntry[] {
  const out: StackEntry[] = [];
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
      if (ip.frame) out.push({ frame: ip.frame, ip: true });
      continue;
    }
    let text = body.trimStart();
    // Old kernels print a marker and the next frame on one line: ` <IRQ>  [<..>] func+0x..`.
    if (isStackMarker(text)) text = text.slice(text.indexOf('>') + 1);
    const f = parseFrame(text);
    if (!f) continue;
    // arm prints each frame twice (as a callee, then as the caller of the next line).
    const last = out[out.length - 1];
    if (!last || last.frame.fn !== f.fn || last.frame.unreliable !== f.unreliable) out.push({ frame: f, ip: false });
    if (f.caller) out.push({ frame: f.caller, ip: false });
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
export function lockFrame(lines: ConsoleLine[], section: string | undefined): { frame: Frame | null; any: Frame | null } {
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
export function leakFrame(lines: ConsoleLine[]): { frame: Frame | null; seen: boolean } {
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

export function accessKind(lines: ConsoleLine[]): string | undefined {
  for (let i = 1; i < lines.length && i < 8; i++) {
    const t = (lines[i] as ConsoleLine).body.trimStart();
    // `Read of size 8 at addr ...`, or with hardware tags `Read at addr ...`.
    if (t.startsWith('Read of size') || t.startsWith('Read at addr')) return 'Read';
    if (t.startsWith('Write of size') || t.startsWith('Write at addr')) return 'Write';
  }
  return undefined;
}

export function taintOf(lines: ConsoleLine[]): string | undefined {
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
export function namedFrame(lines: ConsoleLine[], label: string): Frame | null {
  for (let i = 1; i < lines.length && i < 20; i++) {
    const t = (lines[i] as ConsoleLine).body.trim();
    if (t.startsWith(label)) {
      const name = t.slice(label.length).trim().split(/[\s+]/)[0] ?? '';
      if (/^[A-Za-z_][\w.]*$/.test(name)) return frameOf(cleanFunctionName(name), false);
    }
  }
  return null;
}

