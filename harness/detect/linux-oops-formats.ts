/**
 * The crash report formats of the Linux kernel, as a table: for each header the kernel prints,
 * its first words, the code that prints it, and what it yields (kind, title stem, where the
 * guilty function is: see HeaderHit). A row is added because the kernel prints a report that
 * way; the printer is named so the row can be checked against the kernel's source. `BUG: ` and
 * `WARNING: ` have tables of their own (linux-bug-formats.ts, linux-warning-formats.ts).
 */
import { bugHeader } from './linux-bug-formats.js';
import { findFrame } from './linux-frames.js';
import { type HeaderHit, hit, typeAndFrame, withFrame } from './linux-header-hit.js';
import { normalizeMessage } from './linux-title.js';
import { bareWarning, lockdepHeader, warnHeader } from './linux-warning-formats.js';

export interface OopsFormat {
  /** The first words of the header line. */
  prefix: string;
  /** Where the kernel prints it. */
  printedBy: string;
  /**
   * The hit, from the rest of the line after the prefix and the whole line; null when the line
   * is not this report after all. `again` matches a header that a prefix only wraps.
   */
  match(rest: string, body: string, again: (s: string) => HeaderHit | null): HeaderHit | null;
}

export const OOPS_FORMATS: readonly OopsFormat[] = [
  { prefix: 'BUG: ', printedBy: 'many: see linux-bug-formats.ts', match: (rest) => bugHeader(rest) },
  { prefix: 'BUG ', printedBy: 'mm/slub.c slab_bug(): `BUG cache (Tainted): message`', match: (_r, body) => slubHeader(body) },
  {
    prefix: 'WARNING: ',
    printedBy: 'kernel/panic.c __warn(), kernel/locking/lockdep.c, pr_warn() reports',
    match: (rest, body) => {
      if (rest.startsWith('CPU: ') || rest.startsWith('at ') || /^[\w./-]+\.[a-zA-Z]+:\d+ at /.test(rest)) return warnHeader(body);
      return lockdepHeader(rest, 'WARNING: ') ?? bareWarning(rest);
    },
  },
  {
    prefix: 'Watchdog detected hard LOCKUP',
    printedBy: 'kernel/watchdog.c watchdog_hardlockup_check(), kernel/watchdog_hld.c',
    match: () => hit('hard-lockup', 'BUG: hard lockup', 'stall'),
  },
  // pr_fmt() prefixes in front of a report's own header.
  { prefix: 'watchdog: ', printedBy: 'kernel/watchdog.c pr_fmt', match: (rest, _b, again) => again(rest) },
  { prefix: 'NMI watchdog: ', printedBy: 'kernel/watchdog_hld.c pr_fmt (before 5.x)', match: (rest, _b, again) => again(rest) },
  { prefix: 'rcu: ', printedBy: 'kernel/rcu pr_fmt', match: (rest, _b, again) => again(rest) },
  { prefix: 'INFO: ', printedBy: 'kernel/hung_task.c, kernel/rcu/tree_stall.h, lockdep, SLUB', match: (rest) => infoHeader(rest) },
  { prefix: 'Internal error: ', printedBy: 'arch/arm64/kernel/traps.c die(), arch/arm/kernel/traps.c', match: (rest) => internalError(rest) },
  {
    prefix: 'Insufficient stack space to handle exception',
    printedBy: 'arch/arm64/kernel/traps.c panic_bad_stack()',
    match: () => hit('stack-corruption', 'kernel stack overflow', 'stall'),
  },
  {
    // Older lockdep framed its title: `[ INFO: possible circular locking dependency detected ]`.
    prefix: '[ ',
    printedBy: 'kernel/locking/lockdep.c (before 4.12)',
    match: (_r, body, again) => {
      const t = body.trimEnd();
      if (!t.endsWith(' ]')) return null;
      const inner = t.slice(2, -2).trim();
      return inner.startsWith('INFO: ') || inner.startsWith('BUG: ') || inner.startsWith('WARNING: ') ? again(inner) : null;
    },
  },
  { prefix: 'Kernel panic - not syncing: ', printedBy: 'kernel/panic.c panic()', match: (rest) => panicHeader(rest) },
  {
    prefix: 'kernel BUG at ',
    printedBy: 'lib/bug.c report_bug() for BUG()',
    match: (rest) => {
      const file = rest.slice(0, rest.indexOf(':'));
      return file.endsWith('lib/list_debug.c') ? hit('bug', 'BUG: corrupted list', 'stack') : hit('bug', 'kernel BUG', 'stack');
    },
  },
  {
    prefix: 'kernel stack overflow',
    printedBy: 'arch/x86/kernel/traps.c handle_stack_overflow() (before 4.x: double fault path)',
    match: () => hit('stack-corruption', 'kernel stack overflow', 'stall'),
  },
  {
    // `general protection fault: 0000 [#1] SMP`. A user-mode GP is `traps: comm[pid] general
    // protection fault ip:...` (show_signal()): it never starts a line, and carries ` ip:`.
    prefix: 'general protection fault',
    printedBy: 'arch/x86/kernel/traps.c exc_general_protection() -> die_addr()',
    match: (_r, body) => (body.includes(' ip:') ? null : hit('general-protection', 'general protection fault', 'stack')),
  },
  {
    prefix: 'UBSAN: ',
    printedBy: 'lib/ubsan.c ubsan_prologue()',
    match: (rest) => {
      const { type } = typeAndFrame(rest);
      const t = type.toLowerCase() === 'undefined behaviour' ? 'undefined-behaviour' : type.replace(/\s+/g, '-');
      return hit('ubsan', `UBSAN: ${t}`, 'stack', { fenced: true });
    },
  },
  {
    prefix: 'Unable to handle kernel NULL pointer dereference',
    printedBy: 'arch/arm64/mm/fault.c die_kernel_fault(), arch/arm/mm/fault.c',
    match: () => hit('null-deref', 'BUG: unable to handle kernel NULL pointer dereference', 'stack'),
  },
  {
    prefix: 'Unable to handle kernel ',
    printedBy: 'arch/arm64/mm/fault.c die_kernel_fault(), arch/arm/mm/fault.c',
    match: () => hit('paging-fault', 'BUG: unable to handle kernel paging request', 'stack'),
  },
  {
    // Printed for user-mode faults too: a crash only if an oops follows.
    prefix: 'Unhandled fault: ',
    printedBy: 'arch/arm/mm/fault.c do_DataAbort()',
    match: () => hit('paging-fault', 'Unhandled fault', 'stack', { secondary: true, needsOops: true }),
  },
  {
    prefix: 'divide error: ',
    // User mode gets `traps: comm[pid] trap divide error ip:...`: never at the start of a line.
    printedBy: 'arch/x86/kernel/traps.c exc_divide_error() -> die()',
    match: () => hit('divide-error', 'divide error', 'stack'),
  },
  {
    prefix: 'divide_error: ',
    printedBy: 'arch/x86/kernel/traps.c (before 4.x)',
    match: () => hit('divide-error', 'divide error', 'stack'),
  },
  { prefix: 'PANIC: double fault', printedBy: 'arch/x86/kernel/traps.c exc_double_fault()', match: () => hit('double-fault', 'PANIC: double fault', 'stack') },
  {
    prefix: 'traps: PANIC: double fault',
    printedBy: 'arch/x86/kernel/traps.c with its pr_fmt',
    match: () => hit('double-fault', 'PANIC: double fault', 'stack'),
  },
  {
    prefix: 'invalid opcode: ',
    printedBy: 'arch/x86/kernel/traps.c exc_invalid_op() -> die() (after a BUG() line)',
    match: () => hit('invalid-opcode', 'invalid opcode', 'stack', { secondary: true }),
  },
  {
    // `Oops: 0000 [#1]` after a fault line; 6.x also prefixes `Oops: ` to the trap's own name.
    prefix: 'Oops: ',
    printedBy: 'arch/x86/kernel/dumpstack.c __die_header()',
    match: (rest, body, again) => again(rest) ?? (body.includes('[#') ? hit('unknown', 'Oops', 'stack', { secondary: true }) : null),
  },
  {
    // Printed for user-mode accesses too: a crash only if an oops follows.
    prefix: 'Alignment trap: not handling instruction',
    printedBy: 'arch/arm/mm/alignment.c do_alignment()',
    match: () => hit('unknown', 'Alignment trap', 'stack', { secondary: true, needsOops: true }),
  },
  {
    prefix: 'VFS: Busy inodes after unmount',
    printedBy: 'fs/super.c generic_shutdown_super()',
    match: () => hit('bug', 'VFS: Busy inodes after unmount (use-after-free)', 'none'),
  },
  {
    prefix: 'SYZFAIL: ',
    printedBy: "syzkaller's executor (a fuzzing harness failure, not a kernel report)",
    match: (rest) => hit('unknown', `SYZFAIL: ${normalizeMessage(rest)}`, 'none'),
  },
  {
    // `unregister_netdevice: waiting for lo to become free. Usage count = 2`: a leaked reference hangs netns teardown.
    prefix: 'unregister_netdevice: waiting for ',
    printedBy: 'net/core/dev.c netdev_wait_allrefs_any()',
    match: () => hit('hung-task', 'unregister_netdevice: waiting for DEV to become free', 'none'),
  },
  {
    prefix: 'unreferenced object 0x',
    printedBy: 'mm/kmemleak.c print_unreferenced()',
    match: () => hit('memory-leak', 'memory leak', 'leak', { secondary: true }),
  },
];

/** `BUG kmalloc-64 (Not tainted): Object already free`: a SLUB debug report. */
function slubHeader(body: string): HeaderHit | null {
  const m = /^BUG [\w-]+ \((?:Not tainted|Tainted: [^)]*)\): (.+)$/.exec(body);
  if (!m?.[1]) return null;
  return hit('bug', `BUG: ${normalizeMessage(m[1])}`, 'stack');
}

const FOLLOW_ON_PANICS = [
  'Fatal exception',
  'Oops: Fatal exception',
  'panic_on_warn set',
  'kernel: panic_on_warn set',
  'panic_on_oops',
  'hung_task: blocked tasks',
  'softlockup: hung tasks',
  'Hard LOCKUP',
  'hard LOCKUP',
  'Aiee, killing interrupt handler',
  'Fatal hardware error',
  'Fatal machine check',
];

function panicHeader(msg: string): HeaderHit {
  if (msg.startsWith('stack-protector: Kernel stack is corrupted')) {
    return withFrame(hit('stack-corruption', 'kernel panic: stack is corrupted', 'stack'), findFrame(msg));
  }
  if (msg.startsWith('corrupted stack end detected')) {
    return hit('stack-corruption', 'kernel panic: corrupted stack end', 'stall');
  }
  const followOn = FOLLOW_ON_PANICS.some((p) => msg.startsWith(p));
  let text = msg;
  const exit = text.indexOf(' exitcode=');
  if (exit > 0) text = text.slice(0, exit);
  text = normalizeMessage(text.replace(/\s*\.\.\.\s*$/, ''));
  return hit('panic', `kernel panic: ${text}`, 'none', { panic: true, followOn });
}

function infoHeader(rest: string): HeaderHit | null {
  if (rest.startsWith('task ')) {
    // kernel/hung_task.c check_hung_task(): `INFO: task udevd:5612 blocked for more than 143
    // seconds.` (6.x: `blocked in I/O wait for more than`). Nothing else prints `INFO: task ` at the
    // start of a line, and the task's name is printed raw (it may hold a line break): the rest
    // of the line is not needed.
    if (rest.includes(" can't die for more than ")) return hit('hung-task', "INFO: task can't die", 'hang');
    return hit('hung-task', 'INFO: task hung', 'hang');
  }
  if (rest.startsWith('rcu') && rest.includes(' stall')) return hit('rcu-stall', 'INFO: rcu detected stall', 'stall');
  // SLUB debugging: `INFO: Freed in fasync_free_rcu+0x14/0x20 age=624 cpu=0 pid=3` (its `BUG cache` line may be lost).
  if (rest.startsWith('Freed in ') || rest.startsWith('Allocated in ')) {
    return hit('bug', `INFO: ${normalizeMessage(rest)}`, 'none', { secondary: true });
  }
  return lockdepHeader(rest, 'INFO: ');
}

function internalError(rest: string): HeaderHit {
  if (rest.startsWith('Oops - BUG')) return hit('bug', 'kernel BUG', 'stack', { secondary: true });
  if (rest.startsWith('Oops - undefined instruction')) {
    return hit('invalid-opcode', 'Internal error', 'stack', { secondary: true });
  }
  return hit('unknown', 'Internal error', 'stack', { secondary: true });
}
