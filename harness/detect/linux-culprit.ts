/**
 * The guilty function of a Linux crash report: the first frame that is not a helper, found
 * where the kind of report puts it (header, lockdep `at:`, allocation backtrace, call trace;
 * for stalls the interrupted module code or the handler under the nearest dispatch layer; for
 * hung tasks the frame past the primitives the task sleeps in).
 */
import type { ConsoleLine } from './console-line.js';
import { isDispatchFrame } from './linux-dispatch-frames.js';
import { type Frame, frameOf } from './linux-frames.js';
import type { HeaderHit } from './linux-headers.js';
import { isHelperFrame } from './linux-helper-frames.js';
import { type StackEntry, leakFrame, lockFrame, namedFrame, ownLines, stackEntries } from './linux-stack.js';

export interface Culprit {
  frame: Frame | null;
  /** The report has a readable call trace that backs the culprit. */
  backed: boolean;
}

function usable(e: StackEntry): boolean {
  return !e.frame.unreliable && !isHelperFrame(e.frame.fn);
}

/** The timer interrupt that ran the stall/lockup detector: frames up to it are the detector's. */
const INTERRUPT_ENTRY = new RegExp(
  'apic_timer_interrupt|^(?:gic_handle_irq|__irq_svc|el1_interrupt|el1h_64_irq|el1h_64_irq_handler|el1_irq|' +
    'handle_arch_irq|arch_timer_handler_virt|arch_timer_handler_phys)$',
);

/**
 * A stall's culprit (soft or hard lockup, RCU stall). The watchdog prints the registers of the
 * code it interrupted (`RIP:`) and that code's stack, after its own interrupt frames.
 * - The first real frame there (helpers skipped) is the code that was spinning: when it belongs
 *   to a module, it is the culprit (a module's loop is stable and it is what the lab tests).
 * - A CPU spinning in smp_call_function*() waits for other CPUs to run a function: the stall is
 *   that cross-CPU call, whoever made it.
 * - Otherwise the loop is somewhere in the kernel and moves between reports: the stable name is
 *   the handler that the nearest dispatch layer (syscall entry, VFS, netlink, softirq,
 *   workqueue...) called, a system call named as such.
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
  const running = entries.slice(start).find(usable);
  if (running?.frame.module !== undefined) return running.frame;
  let first: Frame | null = null;
  let firstDispatch: Frame | null = null;
  let last: Frame | null = null;
  for (let i = start; i < entries.length; i++) {
    const e = entries[i] as StackEntry;
    if (e.frame.unreliable) continue;
    // Entry code (do_syscall_64, ret_from_fork) is a helper and a dispatch layer both.
    if (isDispatchFrame(e.frame.fn)) {
      if (last) return last;
      firstDispatch ??= e.frame;
      continue;
    }
    if (!usable(e)) continue;
    if (e.frame.fn.startsWith('smp_call_function')) return frameOf('smp_call_function', false);
    last = e.frame;
    first ??= e.frame;
  }
  return first ?? firstDispatch;
}

/**
 * A blocked task sleeps in the scheduler through some primitive: a sleeping lock, a wait queue,
 * a completion, an RCU grace period. Those frames say how it sleeps, not what it was doing.
 */
const SLEEP_WORDS = ['sched', '_lock', '_slowlock', 'down', 'rwsem', 'completion', 'kthread', 'wait', 'synchronize', 'context_switch', '__switch_to'];

/** Global serialisation points: a task hung on one is a victim of whoever holds it, named so. */
const SERIALISATION: readonly [RegExp, string][] = [
  [/^rtnl_lock/, 'rtnl_lock'],
  [/^synchronize_(?:rcu|srcu|net|sched)/, 'synchronize_rcu'],
];

function hangFrame(entries: StackEntry[]): Frame | null {
  const trace = entries.filter((e) => !e.ip && !e.frame.unreliable);
  for (const e of trace) {
    for (const [re, name] of SERIALISATION) if (re.test(e.frame.fn)) return frameOf(name, false);
  }
  const awake = trace.find((e) => !isDispatchFrame(e.frame.fn) && !isHelperFrame(e.frame.fn) && !SLEEP_WORDS.some((w) => e.frame.fn.includes(w)));
  return awake?.frame ?? trace.find(usable)?.frame ?? null;
}

/** The guilty frame, and whether a call trace backs it (if not, the report is corrupted). */
export function culprit(hit: HeaderHit, reportLines: ConsoleLine[]): Culprit {
  const stall = hit.mode === 'stall';
  // Stall reports print other CPUs' backtraces from their own contexts: keep every caller.
  const lines = ownLines(reportLines, !stall);
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
  if (hit.mode === 'hang') {
    const f = hangFrame(entries);
    return { frame: f, backed: f !== null && trace.length > 0 };
  }
  const found = entries.find(usable);
  if (!found && lockAny) return { frame: lockAny, backed: true };
  return { frame: found?.frame ?? null, backed: found !== undefined && (traceUsable || (trace.length === 0 && found.ip)) };
}

