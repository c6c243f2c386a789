import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CrashClass } from '../harness/results/crash-record.js';
import type { CellResult } from '../harness/results/schema.js';
import { bootgate, printedRun } from './cli-helpers.js';

/** This suite's VMs only: other runs may share the host. */
function qemuCount(): number {
  try {
    return Number(execFileSync('pgrep', ['-fc', 'process=bootgate-debian-6.1-generic__crashers-'], { encoding: 'utf8' }).trim());
  } catch {
    return 0; // pgrep exits 1 when nothing matches
  }
}

interface Expected {
  cls: CrashClass;
  /** The title's stem: the title is `${stem} in ${function}`. */
  stem: string;
  /** Acceptable culprits (the first is what the detector names today). */
  fns: string[];
  /** Where the instruction pointer was, as the console's `RIP: 0010:` line names it. */
  rip: string;
  /** The interrupted code may be a helper it calls: `rip` may be the first trace frame instead. */
  ripOrFrame?: boolean;
  /** The kernel goes on after the report (the boot completes, the module loads). */
  nonFatal?: boolean;
}

/** What each content version of suites/crashers.yaml must be recorded as. */
const EXPECTED: Record<string, Expected> = {
  'null-deref': { cls: 'null-deref', stem: 'BUG: kernel NULL pointer dereference', fns: ['crashers_null_deref'], rip: 'crashers_null_deref' },
  bug: { cls: 'bug', stem: 'kernel BUG', fns: ['crashers_bug'], rip: 'crashers_bug' },
  warn: { cls: 'warning', stem: 'WARNING', fns: ['crashers_warn'], rip: 'crashers_warn', nonFatal: true },
  // A stall is named after the function the nearest dispatch layer called (here do_one_initcall
  // calls crashers_init), not after the instruction pointer: see examples/agents/crashers/README.md.
  'soft-lockup': { cls: 'soft-lockup', stem: 'BUG: soft lockup', fns: ['crashers_init', 'crashers_soft_lockup'], rip: 'crashers_soft_lockup', ripOrFrame: true, nonFatal: true },
  'divide-error': { cls: 'divide-error', stem: 'divide error', fns: ['crashers_divide_error'], rip: 'crashers_divide_error' },
  // The stack protector panics from __stack_chk_fail(): no RIP line, the panic message names the function.
  'stack-corruption': { cls: 'stack-corruption', stem: 'kernel panic: stack is corrupted', fns: ['crashers_stack_corruption'], rip: '' },
};

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

describe('crashers suite, for real: one real kernel crash per content version', () => {
  it('records every kind with its class, title, function and module crashers', async () => {
    const results = mkdtempSync(join(tmpdir(), 'bootgate-crashers-'));
    const t0 = Date.now();
    const r = await bootgate(['run', 'suites/crashers.yaml', '--results', results]);
    const wall = (Date.now() - t0) / 1000;
    expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace
    expect(r.code, r.stderr).toBe(1);
    const run = printedRun(r);
    const log = (c: { consoleLog: string }) => readFileSync(join(results, run.id, c.consoleLog), 'utf8');

    // The table first, so that a failing expectation below still shows what was recorded.
    const rows = [['kind', 'verdict', 'booted', 'class', 'title', 'function', 'module']];
    for (const c of run.cells) {
      const y = c.cycles[0];
      const k = y?.crash;
      rows.push([c.content.version, c.verdict ?? '-', String(y?.booted ?? '-'), k?.class ?? '-', k?.title ?? '-', k?.function ?? '-', k?.module ?? '-']);
    }
    console.log(`crashers suite: ${wall.toFixed(1)}s wall\n${table(rows)}`);

    expect(run.status).toBe('finished');
    expect(run.summary).toMatchObject({ cells: 7, pass: 1, fail: 6, error: 0, verdict: 'fail', exitCode: 1 });
    const cell = (kind: string): CellResult => {
      const c = run.cells.find((x) => x.content.version === kind);
      expect(c, `cell for content ${kind}`).toBeDefined();
      return c!;
    };

    // none: the module loads at boot, answers its health check, nothing crashes.
    const none = cell('none');
    expect(none.verdict, none.reason).toBe('pass');
    expect(none.cycles).toHaveLength(1);
    expect(none.cycles[0]).toMatchObject({ booted: true, outcome: 'ready', health: { ok: true, output: 'none' } });
    expect(none.cycles[0]!.crash).toBeUndefined();

    for (const [kind, want] of Object.entries(EXPECTED)) {
      const c = cell(kind);
      expect(c.baseline.every((b) => b.booted && !b.crash), `${kind}: baseline`).toBe(true);
      expect(c.verdict, `${kind}: ${c.reason}`).toBe('fail');
      expect(c.cycles).toHaveLength(1);
      const y = c.cycles[0]!;
      const crash = y.crash;
      expect(crash, `${kind}: crash record`).toBeDefined();
      expect(crash).toMatchObject({ os: 'linux', source: 'console', class: want.cls, module: 'crashers' });
      expect(want.fns, `${kind}: function`).toContain(crash!.function);
      expect(crash!.title).toBe(`${want.stem} in ${crash!.function}`);
      expect(crash!.corrupted, `${kind}: report read whole`).toBeUndefined();
      expect(crash!.tainted).toMatch(/O/); // an out-of-tree module was loaded
      const console_ = log(y);
      if (want.rip) {
        const at = want.ripOrFrame ? '(?:RIP: 0010:|\\] {2})' : 'RIP: 0010:';
        expect(console_).toMatch(new RegExp(`${at}${want.rip}\\+0x[0-9a-f]+/0x[0-9a-f]+ \\[crashers\\]`));
      }
      if (want.nonFatal) {
        // The kernel went on: the guest became ready and the module is loaded, yet the cell fails.
        expect(y).toMatchObject({ booted: true, outcome: 'ready', health: { ok: true, output: kind } });
        expect(c.bootLoop).toBeUndefined();
        expect(c.reason).toBe(`maxCrashes: ${crash!.title}`);
      } else {
        // Fatal (oops=panic): every boot crashes, bootLoop 1 makes it a boot loop at once.
        expect(y).toMatchObject({ booted: false, outcome: 'crash' });
        expect(c.bootLoop).toBe(true);
        expect(c.reason).toBe(`boot loop: ${crash!.title}`);
      }
    }
    expect(log(cell('stack-corruption').cycles[0]!)).toMatch(
      /Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: crashers_stack_corruption\+0x[0-9a-f]+\/0x[0-9a-f]+ \[crashers\]/,
    );
    expect(log(cell('soft-lockup').cycles[0]!)).toMatch(/watchdog: BUG: soft lockup - CPU#0 stuck for \d+s! \[modprobe:\d+\]/);

    // One crash group per crashing kind, each hit once, all blamed on crashers.
    expect(run.crashes).toHaveLength(6);
    expect(run.crashes.every((g) => g.module === 'crashers' && g.count === 1)).toBe(true);
    expect(qemuCount()).toBe(0);
  });
});
