/**
 * The `BUG: ` headers, one row per report the kernel prints with that prefix: its words after
 * `BUG: `, the kernel code that prints it, and what it yields. A row is here because the kernel
 * prints that report so; anything else after `BUG: ` is taken by its message (generic).
 */
import { type HeaderHit, hit, typeAndFrame, withFrame } from './linux-header-hit.js';
import { normalizeMessage } from './linux-title.js';
import { lockdepHeader } from './linux-warning-formats.js';

export interface BugFormat {
  /** The text right after `BUG: `. */
  after: string;
  /** Where the kernel prints it. */
  printedBy: string;
  /** The hit, from the rest of the line after `BUG: ` (null: not this report after all). */
  match(rest: string): HeaderHit | null;
}

/** A sanitizer report: `BUG: <TOOL>: <type> in func+off/size`, fenced by `====` lines. */
function sanitizer(tool: 'KASAN' | 'KMSAN' | 'KFENCE', rest: string): HeaderHit {
  const { type, frame } = typeAndFrame(rest.slice(tool.length + 2));
  if (tool === 'KASAN') {
    const t = type === 'double-free or invalid-free' || type === 'double-free' ? 'invalid-free' : type;
    return withFrame(hit('kasan', `KASAN: ${t}`, 'stack', { fenced: true, access: true, trustFrame: true }), frame);
  }
  const cls = tool === 'KMSAN' ? 'kmsan' : 'kfence';
  return withFrame(hit(cls, `${tool}: ${type}`, 'stack', { fenced: true, trustFrame: true }), frame);
}

export const BUG_FORMATS: readonly BugFormat[] = [
  { after: 'KASAN: ', printedBy: 'mm/kasan/report.c', match: (r) => sanitizer('KASAN', r) },
  { after: 'KMSAN: ', printedBy: 'mm/kmsan/report.c', match: (r) => sanitizer('KMSAN', r) },
  { after: 'KFENCE: ', printedBy: 'mm/kfence/report.c', match: (r) => sanitizer('KFENCE', r) },
  {
    after: 'KCSAN: ',
    printedBy: 'kernel/kcsan/report.c',
    match: (r) => hit('unknown', `KCSAN: ${normalizeMessage(r.slice(7))}`, 'none', { fenced: true }),
  },
  {
    after: 'kernel NULL pointer dereference',
    printedBy: 'arch/x86/mm/fault.c show_fault_oops() (5.x and later)',
    match: () => hit('null-deref', 'BUG: kernel NULL pointer dereference', 'stack'),
  },
  {
    after: 'unable to handle kernel NULL pointer dereference',
    printedBy: 'arch/x86/mm/fault.c (before 5.x)',
    match: () => hit('null-deref', 'BUG: unable to handle kernel NULL pointer dereference', 'stack'),
  },
  {
    after: 'unable to handle kernel paging request',
    printedBy: 'arch/x86/mm/fault.c',
    match: () => hit('paging-fault', 'BUG: unable to handle kernel paging request', 'stack'),
  },
  {
    after: 'unable to handle page fault',
    printedBy: 'arch/x86/mm/fault.c (5.x and later)',
    match: () => hit('paging-fault', 'BUG: unable to handle kernel paging request', 'stack'),
  },
  {
    // The fault header is two printk() calls: a console interleave can cut it after these words.
    after: 'unable to handle ',
    printedBy: 'arch/x86/mm/fault.c, cut',
    match: () => hit('paging-fault', 'BUG: unable to handle kernel', 'none'),
  },
  {
    after: 'using ',
    printedBy: 'lib/smp_processor_id.c check_preemption_disabled()',
    match: (r) => {
      const k = r.indexOf(' in preemptible');
      return k > 0 ? hit('lockdep', `BUG: using ${r.slice(6, k)} in preemptible code`, 'stack') : null;
    },
  },
  { after: 'soft lockup', printedBy: 'kernel/watchdog.c watchdog_timer_fn()', match: () => hit('soft-lockup', 'BUG: soft lockup', 'stall') },
  { after: 'spinlock ', printedBy: 'kernel/locking/spinlock_debug.c spin_dump()', match: (r) => spinBug(r) },
  { after: 'rwlock ', printedBy: 'kernel/locking/spinlock_debug.c rwlock_bug()', match: (r) => spinBug(r) },
  {
    after: 'sleeping function called from invalid context',
    printedBy: 'kernel/sched/core.c __might_resched()',
    match: () => hit('bug', 'BUG: sleeping function called from invalid context', 'stack'),
  },
  {
    after: 'scheduling while atomic',
    printedBy: 'kernel/sched/core.c __schedule_bug()',
    match: () => hit('bug', 'BUG: scheduling while atomic', 'stack'),
  },
  {
    // `BUG: workqueue lockup - pool cpus=0 node=0 flags=0x0 nice=0 stuck for 33s!`
    after: 'workqueue lockup',
    printedBy: 'kernel/workqueue.c wq_watchdog_timer_fn()',
    match: () => hit('hung-task', 'BUG: workqueue lockup', 'none'),
  },
  {
    after: 'workqueue leaked lock or atomic',
    printedBy: 'kernel/workqueue.c process_one_work()',
    match: () => hit('lockdep', 'BUG: workqueue leaked lock or atomic', 'stack', { fnLabel: 'last function:' }),
  },
  { after: 'memory leak', printedBy: 'mm/kmemleak.c (syzkaller relays it so)', match: () => hit('memory-leak', 'memory leak', 'leak') },
  { after: 'Bad page state', printedBy: 'mm/page_alloc.c bad_page()', match: () => hit('bug', 'BUG: Bad page state', 'stack') },
  { after: 'Bad page map', printedBy: 'mm/memory.c print_bad_pte()', match: () => hit('bug', 'BUG: Bad page map', 'stack') },
  {
    after: 'Bad rss-counter state',
    printedBy: 'kernel/fork.c check_mm()',
    match: () => hit('bug', 'BUG: Bad rss-counter state', 'none'),
  },
  {
    after: 'MAX_',
    printedBy: 'kernel/locking/lockdep.c (a lockdep table is full)',
    match: (r) => (r.includes('too low') ? hit('lockdep', `BUG: ${r.slice(0, r.indexOf('too low') + 7)}!`, 'none') : null),
  },
];

/** `BUG: spinlock lockup suspected on CPU#0, ...`: the kind of lock and what went wrong. */
function spinBug(rest: string): HeaderHit {
  const m = /^(\w+) (.+?)(?: on CPU| on cpu|,|:|$)/.exec(rest);
  return hit('lockdep', `BUG: ${m?.[1] ?? 'spinlock'} ${m?.[2] ?? 'bug'}`, 'stack');
}

/** Rows by the first character after `BUG: `: most lines are rejected on it. */
const BY_FIRST = new Map<number, BugFormat[]>();
for (const f of BUG_FORMATS) {
  const c = f.after.charCodeAt(0);
  BY_FIRST.set(c, [...(BY_FIRST.get(c) ?? []), f]);
}

/** The hit for the text after `BUG: `: its row, a lockdep report, or the message itself. */
export function bugHeader(rest: string): HeaderHit | null {
  for (const f of BY_FIRST.get(rest.charCodeAt(0)) ?? []) {
    if (rest.startsWith(f.after)) {
      const h = f.match(rest);
      if (h) return h;
    }
  }
  // arch/x86/kernel/traps.c handle_stack_overflow(): `BUG: stack guard page was hit at`, 6.x with
  // the stack's name first (`BUG: TASK stack guard page was hit at`, IRQ, SOFTIRQ, #DF...).
  if (/^(?:[A-Z#_]+ )?stack guard page was hit/.test(rest)) {
    return hit('stack-corruption', 'BUG: stack guard page was hit', 'stack');
  }
  const lock = lockdepHeader(rest, 'BUG: ');
  if (lock) return lock;
  // Any other `BUG: message`: the message up to its first detail.
  const cut = /^(.*?)(?:[:,!(\[]| at | on CPU| in process|$)/.exec(rest);
  const msg = normalizeMessage(cut?.[1] ?? rest);
  if (msg === '') return null;
  return hit('bug', `BUG: ${msg}`, 'stack', { generic: true });
}
