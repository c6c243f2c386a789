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
  ['6.12', 'panic', 'panic', 'kernel panic: crashers: content asks for a panic', 'crashers_panic', 'crashers'],
  ['6.1', 'stack-overflow', 'stack-corruption', 'BUG: stack guard page was hit in crashers_recurse', 'crashers_recurse', 'crashers'],
  ['6.12', 'stack-overflow', 'stack-corruption', 'BUG: stack guard page was hit in crashers_recurse', 'crashers_recurse', 'crashers'],
  // A kthread blocked in a mutex: past __schedule, schedule... and __mutex_lock.
  ['6.1', 'hung-task', 'hung-task', 'INFO: task hung in crashers_hung_thread', 'crashers_hung_thread', 'crashers'],
  ['6.1', 'lock-inversion', 'hung-task', 'INFO: task hung in crashers_lock_ab', 'crashers_lock_ab', 'crashers'],
  // 6.12 prints the blocked task's stack at KERN_INFO, below loglevel=5: no function to name.
  ['6.12', 'hung-task', 'hung-task', 'INFO: task hung', undefined, undefined],
];

describe('consoles of the crashers module (real runs)', () => {
  it.each(CASES)('Debian %s, %s', (kernel, kind, cls, title, fn, module) => {
    const records = parseLinuxConsole(readFileSync(`${DIR}${kernel}/${kind}.log`, 'utf8'));
    expect(records.length).toBeGreaterThan(0);
    expect(records[0]).toMatchObject({ class: cls, title });
    expect(records[0]?.function).toBe(fn);
    expect(records[0]?.module).toBe(module);
    expect(records[0]?.corrupted).toBeUndefined();
  });
});
