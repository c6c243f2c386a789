/**
 * Real consoles of the lab's crashers module (examples/agents), crashing Debian 12's 6.1 and
 * 6.12 kernels on purpose, one way per boot (testdata/crashers/<kernel>/<kind>.log, recorded by
 * bootgate runs). Each must name the function and module the kernel's own report points at:
 * the code a watchdog interrupted (its RIP:) for lockups, the caller of panic() past the panic
 * machinery, the frame past the sleeping primitives for a hung task.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseLinuxConsole } from './linux-console.js';

const DIR = fileURLToPath(new URL('./testdata/crashers/', import.meta.url));

/** kernel, kind, then the first record's class, title, function and module. */
const CASES: [string, string, string, string, string | undefined, string | undefined][] = [
  // A module's init spinning: the RIP names the loop, not crashers_init under it (issue 15).
  ['6.1', 'soft-lockup', 'soft-lockup', 'BUG: soft lockup in crashers_soft_lockup', 'crashers_soft_lockup', 'crashers'],
  // The same from a workqueue item: the RIP again, not process_one_work or the work function.
  ['6.1', 'work-lockup', 'soft-lockup', 'BUG: soft lockup in crashers_busy_wait', 'crashers_busy_wait', 'crashers'],
  ['6.12', 'work-lockup', 'soft-lockup', 'BUG: soft lockup in crashers_busy_wait', 'crashers_busy_wait', 'crashers'],
  // panic() called by the module: its message is the title; the caller past panic() is named.
  ['6.1', 'panic', 'panic', 'kernel panic: crashers: content asks for a panic', 'crashers_panic', 'crashers'],
  ['6.12', 'panic', 'panic', 'kernel panic: crashers: content asks for a panic', 'crashers_panic', 'crashers'],
  // BUG() inside the allocator (RIP: __kmem_cache_free) on a double kfree(): the module's caller.
  ['6.1', 'double-free', 'bug', 'kernel BUG in crashers_double_free', 'crashers_double_free', 'crashers'],
  ['6.1', 'bug', 'bug', 'kernel BUG in crashers_bug', 'crashers_bug', 'crashers'],
  ['6.1', 'null-deref', 'null-deref', 'BUG: kernel NULL pointer dereference in crashers_null_deref', 'crashers_null_deref', 'crashers'],
  ['6.1', 'divide-error', 'divide-error', 'divide error in crashers_divide_error', 'crashers_divide_error', 'crashers'],
  ['6.1', 'sleep-in-atomic', 'bug', 'BUG: scheduling while atomic in crashers_sleep_in_atomic', 'crashers_sleep_in_atomic', 'crashers'],
  ['6.1', 'stack-corruption', 'stack-corruption', 'kernel panic: stack is corrupted in crashers_stack_corruption', 'crashers_stack_corruption', 'crashers'],
  ['6.1', 'use-after-free', 'bug', 'BUG: Poison overwritten in crashers_use_after_free', 'crashers_use_after_free', 'crashers'],
  ['6.1', 'warn', 'warning', 'WARNING in crashers_warn', 'crashers_warn', 'crashers'],
  // A NULL dereference in a timer callback and in a work item: the faulting function either way.
  ['6.1', 'timer-fault', 'null-deref', 'BUG: kernel NULL pointer dereference in crashers_count', 'crashers_count', 'crashers'],
  ['6.1', 'work-fault', 'null-deref', 'BUG: kernel NULL pointer dereference in crashers_count', 'crashers_count', 'crashers'],
  ['6.1', 'stack-overflow', 'stack-corruption', 'BUG: stack guard page was hit in crashers_recurse', 'crashers_recurse', 'crashers'],
  ['6.12', 'stack-overflow', 'stack-corruption', 'BUG: stack guard page was hit in crashers_recurse', 'crashers_recurse', 'crashers'],
  // A kthread blocked in a mutex: past __schedule, schedule... and __mutex_lock.
  ['6.1', 'hung-task', 'hung-task', 'INFO: task hung in crashers_hung_thread', 'crashers_hung_thread', 'crashers'],
  ['6.1', 'lock-inversion', 'hung-task', 'INFO: task hung in crashers_lock_ab', 'crashers_lock_ab', 'crashers'],
  ['6.12', 'hung-task', 'hung-task', 'INFO: task hung in crashers_hung_thread', 'crashers_hung_thread', 'crashers'],
  ['6.12', 'lock-inversion', 'hung-task', 'INFO: task hung in crashers_lock_ab', 'crashers_lock_ab', 'crashers'],
  // The same boot under the lab's loglevel=5: the blocked task's stack goes out at KERN_INFO and
  // is not printed, so no function can be named (and nothing was cut).
  ['6.12', 'hung-task-loglevel5', 'hung-task', 'INFO: task hung', undefined, undefined],
  ['6.12', 'soft-lockup', 'soft-lockup', 'BUG: soft lockup in crashers_soft_lockup', 'crashers_soft_lockup', 'crashers'],
  ['6.12', 'bug', 'bug', 'kernel BUG in crashers_bug', 'crashers_bug', 'crashers'],
  ['6.12', 'null-deref', 'null-deref', 'BUG: kernel NULL pointer dereference in crashers_null_deref', 'crashers_null_deref', 'crashers'],
  ['6.12', 'divide-error', 'divide-error', 'divide error in crashers_divide_error', 'crashers_divide_error', 'crashers'],
  ['6.12', 'warn', 'warning', 'WARNING in crashers_warn', 'crashers_warn', 'crashers'],
  // A WARN in lib/refcount.c: the module that over-released, past refcount_warn_saturate.
  ['6.1', 'refcount-underflow', 'warning', 'WARNING: refcount bug in crashers_refcount_underflow', 'crashers_refcount_underflow', 'crashers'],
  ['6.12', 'refcount-underflow', 'warning', 'WARNING: refcount bug in crashers_refcount_underflow', 'crashers_refcount_underflow', 'crashers'],
  ['6.12', 'double-free', 'bug', 'kernel BUG in crashers_double_free', 'crashers_double_free', 'crashers'],
  ['6.12', 'sleep-in-atomic', 'bug', 'BUG: scheduling while atomic in crashers_sleep_in_atomic', 'crashers_sleep_in_atomic', 'crashers'],
  ['6.12', 'stack-corruption', 'stack-corruption', 'kernel panic: stack is corrupted in crashers_stack_corruption', 'crashers_stack_corruption', 'crashers'],
  ['6.12', 'timer-fault', 'null-deref', 'BUG: kernel NULL pointer dereference in crashers_count', 'crashers_count', 'crashers'],
  ['6.12', 'work-fault', 'null-deref', 'BUG: kernel NULL pointer dereference in crashers_count', 'crashers_count', 'crashers'],
  // SLUB finds the poison overwritten on the next allocation; 6.12 adds a WARN in its own checks.
  ['6.12', 'use-after-free', 'bug', 'BUG: Object corrupt in crashers_use_after_free', 'crashers_use_after_free', 'crashers'],
];

describe('consoles of the crashers module (real runs)', () => {
  it.each(['6.1', '6.12'])('finds nothing in a boot whose content asks for no crash (Debian %s)', (kernel) => {
    expect(parseLinuxConsole(readFileSync(`${DIR}${kernel}/none.log`, 'utf8'))).toEqual([]);
  });

  it("names the allocator's caller for the WARN in SLUB's own checks (6.12), not check_object", () => {
    const records = parseLinuxConsole(readFileSync(`${DIR}6.12/use-after-free.log`, 'utf8'));
    expect(records.map((r) => r.function)).toEqual(['crashers_use_after_free', 'crashers_use_after_free']);
  });

  it('reports both sides of a lock inversion', () => {
    const titles = parseLinuxConsole(readFileSync(`${DIR}6.1/lock-inversion.log`, 'utf8')).map((r) => r.title);
    expect(titles).toEqual(['INFO: task hung in crashers_lock_ab', 'INFO: task hung in crashers_lock_ba']);
  });

  it.each(CASES)('Debian %s, %s', (kernel, kind, cls, title, fn, module) => {
    const records = parseLinuxConsole(readFileSync(`${DIR}${kernel}/${kind}.log`, 'utf8'));
    expect(records.length).toBeGreaterThan(0);
    expect(records[0]).toMatchObject({ class: cls, title });
    expect(records[0]?.function).toBe(fn);
    expect(records[0]?.module).toBe(module);
    expect(records[0]?.corrupted).toBeUndefined();
  });
});
