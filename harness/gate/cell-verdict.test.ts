import { describe, expect, it } from 'vitest';
import { judgeCell } from './cell-verdict.js';
import type { CycleResult } from '../results/schema.js';
import { signatureOf } from '../results/crash-record.js';
import { selftestOf } from '../measure/selftest.js';

const policy = { bootSuccess: 1, maxCrashes: 0, minCycles: 1, maxBootOverheadPct: 10, overheadBound: 'upper' as const };
const ok = (phase: 'baseline' | 'agent', index: number, uptime = 3000): CycleResult => ({
  index, phase, kind: 'warm', booted: true, outcome: 'ready', startedAt: '', guestReadyUptimeMs: uptime, consoleLog: `${phase}-${index}.log`,
});
const title = 'BUG: kernel NULL pointer dereference in sensor_parse_channel';
const crash = (index: number): CycleResult => ({
  index, phase: 'agent', kind: 'warm', booted: false, outcome: 'crash', startedAt: '', consoleLog: `agent-${index}.log`,
  crash: { os: 'linux', source: 'console', class: 'null-deref', title, module: 'sensor', function: 'sensor_parse_channel', signature: signatureOf(title) },
});

describe('judgeCell', () => {
  it('passes a cell whose every agent boot is clean', () => {
    const j = judgeCell({ baseline: [ok('baseline', 1)], cycles: [ok('agent', 1), ok('agent', 2), ok('agent', 3)], install: { ok: true, ms: 1 } }, policy);
    expect(j.verdict).toBe('pass');
    expect(j.rules.find((r) => r.rule === 'maxBootOverheadPct')?.outcome).toBe('skipped');
  });
  it('fails a boot loop and names the crash', () => {
    const j = judgeCell({ baseline: [ok('baseline', 1)], cycles: [crash(1), crash(2)], install: { ok: true, ms: 1 }, bootLoop: true }, policy);
    expect(j.verdict).toBe('fail');
    expect(j.reason).toBe(`boot loop: ${title}`);
    expect(j.rules.find((r) => r.rule === 'bootSuccess')).toMatchObject({ actual: 0, outcome: 'fail' });
  });
  it('never blames the agent when the baseline did not boot', () => {
    const bad = { ...crash(1), phase: 'baseline' as const };
    const j = judgeCell({ baseline: [bad], cycles: [] }, policy);
    expect(j.verdict).toBe('error');
    expect(j.reason).toMatch(/baseline boot 1 without the agent failed/);
  });
  it('is inconclusive on a lab error in a cycle', () => {
    const lab: CycleResult = { ...ok('agent', 2), booted: false, outcome: 'lab-error', error: 'the VM process exited' };
    expect(judgeCell({ baseline: [ok('baseline', 1)], cycles: [ok('agent', 1), lab], install: { ok: true, ms: 1 } }, policy).verdict).toBe('error');
  });
  it('fails a cell whose self-test failed on a boot, naming the boot and the failing point', () => {
    const passed = selftestOf('1..1\nok 1 - counter 1\n', { code: 0, ms: 3 });
    const failed = selftestOf('1..1\nnot ok 1 - counter 2\n', { code: 0, ms: 3 });
    const unhealthy: CycleResult = { ...ok('agent', 2), outcome: 'unhealthy', health: { ok: true, output: '2.1.0' }, selftest: failed };
    const j = judgeCell({ baseline: [ok('baseline', 1)], cycles: [{ ...ok('agent', 1), selftest: passed }, unhealthy], install: { ok: true, ms: 1 } }, policy);
    expect(j.verdict).toBe('fail');
    expect(j.rules.find((r) => r.rule === 'agentHealth')).toMatchObject({ actual: 1, outcome: 'fail' });
    expect(j.reason).toBe("agentHealth: the agent's health check and self-test failed on 1 boot(s): agent 2: self-test failed: not ok 1 - counter 2");
    const clean = judgeCell({ baseline: [ok('baseline', 1)], cycles: [{ ...ok('agent', 1), selftest: passed }], install: { ok: true, ms: 1 } }, policy);
    expect(clean.rules.find((r) => r.rule === 'agentHealth')?.reason).toBe('the agent answered its health check and self-test on every boot');
  });
  it('applies the boot overhead rule once there are enough samples', () => {
    const base = [1, 2, 3].map((i) => ok('baseline', i, 3000));
    const slow = [1, 2, 3].map((i) => ok('agent', i, 3600));
    const j = judgeCell({ baseline: base, cycles: slow, install: { ok: true, ms: 1 } }, policy);
    expect(j.rules.find((r) => r.rule === 'maxBootOverheadPct')).toMatchObject({ actual: 20, outcome: 'fail' });
    expect(j.verdict).toBe('fail');
  });
});

describe('judgeCell: cells the runner stopped', () => {
  it('is error when the lab failed, whatever the boots so far say', () => {
    const j = judgeCell({ baseline: [ok('baseline', 1)], cycles: [ok('agent', 1)], install: { ok: true, ms: 1 }, stopped: { cause: 'lab', message: 'the VM process exited' } }, policy);
    expect(j).toEqual({ verdict: 'error', reason: 'lab error: the VM process exited', rules: [] });
  });
  it('is error when the run was interrupted, even after a crash', () => {
    const crashed = { ...ok('agent', 1), booted: false, outcome: 'crash' as const };
    const j = judgeCell({ baseline: [ok('baseline', 1)], cycles: [crashed], install: { ok: true, ms: 1 }, stopped: { cause: 'interrupted', message: 'the run was stopped' } }, policy);
    expect(j.verdict).toBe('error');
    expect(j.reason).toBe('interrupted: the run was stopped before this cell finished');
  });
});
