import type { CrashClass } from '../harness/results/crash-record.js';

/**
 * What each kind of examples/agents/crashers must be recorded as, on every kernel: the class, and
 * the function that is at fault (module `crashers` always). Shared by the test over the recorded
 * consoles (test/crasher-consoles.test.ts) and the real run of every kind
 * (test/crashers-kernels.int.test.ts).
 */
export interface CrasherKind {
  /** Acceptable classes: the first is the most precise. */
  cls: CrashClass[];
  /** The function at fault: where the module crashes, spins or blocks, not its caller. */
  fn: string[];
  /** The kernel goes on after the report: the guest becomes ready, the module stays loaded. */
  nonFatal?: true;
}

export const CRASHER_KINDS: Record<string, CrasherKind> = {
  'null-deref': { cls: ['null-deref'], fn: ['crashers_null_deref'] },
  bug: { cls: ['bug'], fn: ['crashers_bug'] },
  warn: { cls: ['warning'], fn: ['crashers_warn'], nonFatal: true },
  // The spin is in crashers_soft_lockup itself; in work-lockup it is in a helper a work item calls.
  'soft-lockup': { cls: ['soft-lockup'], fn: ['crashers_soft_lockup'], nonFatal: true },
  'work-lockup': { cls: ['soft-lockup'], fn: ['crashers_busy_wait'], nonFatal: true },
  'divide-error': { cls: ['divide-error'], fn: ['crashers_divide_error'] },
  'stack-corruption': { cls: ['stack-corruption'], fn: ['crashers_stack_corruption'] },
  // panic() called by the module: its call trace names the caller of panic().
  panic: { cls: ['panic'], fn: ['crashers_panic'] },
  // Unbounded recursion into the guard page: a double fault, reported from the exception stack.
  'stack-overflow': { cls: ['stack-corruption', 'double-fault'], fn: ['crashers_recurse'] },
  'sleep-in-atomic': { cls: ['bug'], fn: ['crashers_sleep_in_atomic'], nonFatal: true },
  // A store through a NULL pointer in the helper both the work item and the timer call.
  'work-fault': { cls: ['null-deref'], fn: ['crashers_count'] },
  'timer-fault': { cls: ['null-deref'], fn: ['crashers_count'] },
  'hung-task': { cls: ['hung-task'], fn: ['crashers_hung_thread'], nonFatal: true },
  // No lockdep in Debian's kernels: the AB-BA deadlock is reported by the hung-task watchdog.
  'lock-inversion': { cls: ['hung-task', 'lockdep'], fn: ['crashers_lock_ab', 'crashers_lock_ba'], nonFatal: true },
  // SLUB's debug checks (poison overwritten) on the module's own cache; reported at the next allocation.
  'use-after-free': { cls: ['bug', 'kasan', 'kfence'], fn: ['crashers_use_after_free'], nonFatal: true },
  // The hardened freelist's check: kernel BUG at mm/slub.c, in kfree called by the module.
  'double-free': { cls: ['bug'], fn: ['crashers_double_free'] },
  'refcount-underflow': { cls: ['warning'], fn: ['crashers_refcount_underflow'], nonFatal: true },
};

/**
 * `<kernel>/<kind>` the console parser records wrong, with what is wrong. Tests mark them
 * it.fails; each goes when the parser gets it right. None today: the panic() and soft lockup
 * cases of issue 15 are named right since the parser's rules were rewritten.
 */
export const PARSER_GAPS: Record<string, string> = {};
