import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootgate } from './cli-helpers.js';

/** Two real runs of each sensor build, compared: B must be flagged on exec, A/A must not. */
describe('bootgate compare on real runs of the sensor builds', () => {
  it('flags 2.2.0-slow on the exec workload and passes 2.1.0 against itself', async () => {
    const results = mkdtempSync(join(tmpdir(), 'bootgate-cmp-'));
    const run = async (suite: string) => {
      const r = await bootgate(['run', suite, '--results', results]);
      expect(r.code, r.stderr).toBe(0);
      return dirname(r.stdout.trim().split('\n').at(-1)!);
    };
    const a = await run('suites/compare-sensor-2.1.0.yaml');
    const b = await run('suites/compare-sensor-2.2.0-slow.yaml');
    const a2 = await run('suites/compare-sensor-2.1.0.yaml');

    // Each agent boot carries workload samples with and without the agent, and memory figures.
    const { readFileSync } = await import('node:fs');
    const runA = JSON.parse(readFileSync(join(a, 'run.json'), 'utf8')) as { cells: { cycles: { workloads?: Record<string, { a: number[]; b: number[] }>; memory?: { slabKiB: { a: number; b: number }; agentBytes?: number } }[] }[] };
    for (const c of runA.cells[0]!.cycles) {
      expect(Object.keys(c.workloads ?? {}).sort()).toEqual(['exec', 'open', 'tcp']);
      expect(c.workloads!.exec!.a.length).toBeGreaterThanOrEqual(4);
      expect(c.memory?.agentBytes).toBeGreaterThan(0);
      expect(c.memory!.slabKiB.a).toBeGreaterThan(0);
    }

    const runB = JSON.parse(readFileSync(join(b, 'run.json'), 'utf8')) as { cells: { overhead?: { workloads: { workload: string; pct: number; significant: boolean }[] } }[] };
    const execB = runB.cells[0]!.overhead!.workloads.find((w) => w.workload === 'exec')!;
    expect(execB.significant).toBe(true);
    expect(execB.pct).toBeGreaterThan(5); // 1 ms on a ~7.5 ms exec under TCG

    const slow = await bootgate(['compare', a, b, '--json']);
    expect(slow.code, slow.stderr).toBe(1);
    const cmpB = JSON.parse(slow.stdout) as { reasons: string[] };
    expect(cmpB.reasons.join('\n')).toMatch(/workload exec \+\d+(\.\d+)?%/);
    const human = await bootgate(['compare', a, b]);
    console.log(human.stdout);

    const same = await bootgate(['compare', a, a2, '--json']);
    expect(same.code, same.stdout + same.stderr).toBe(0);
    const humanSame = await bootgate(['compare', a, a2]);
    console.log(humanSame.stdout);
  });
});
