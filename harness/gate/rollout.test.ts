import { describe, expect, it } from 'vitest';
import { contentRollout, rolloutVerdict, type RingPlan } from './rollout.js';

const RINGS: RingPlan[] = [
  { name: 'canary', images: [{ name: 'a', machines: 10 }, { name: 'b', machines: 5 }], soak: 1 },
  { name: 'early', images: [{ name: 'c', machines: 100 }], soak: 2 },
  { name: 'broad', images: [{ name: 'd', machines: 1000 }, { name: 'e', machines: 2000 }], soak: 3 },
];

describe('contentRollout', () => {
  it('promotes content that passes every ring: all machines received it, none spared', () => {
    const r = contentRollout('290', RINGS, [
      { verdict: 'pass', run: 'r1' },
      { verdict: 'pass', run: 'r2' },
      { verdict: 'pass', run: 'r3' },
    ]);
    expect(r).toMatchObject({ content: '290', outcome: 'promoted', blastRadius: 3115, spared: 0 });
    expect(r.stoppedAt).toBeUndefined();
    expect(r.rings.map((x) => [x.name, x.status, x.machines, x.run])).toEqual([
      ['canary', 'passed', 15, 'r1'],
      ['early', 'passed', 100, 'r2'],
      ['broad', 'passed', 3000, 'r3'],
    ]);
    expect(r.reason).toContain('3115 machines');
  });

  it('stops at the ring that failed: its machines count in the blast radius, the later rings are spared', () => {
    const r = contentRollout('291', RINGS, [{ verdict: 'fail', run: 'r1', reason: 'bootLoop: boot loop in 2 cells' }]);
    expect(r).toMatchObject({ outcome: 'stopped', stoppedAt: 'canary', blastRadius: 15, spared: 3100 });
    expect(r.rings.map((x) => x.status)).toEqual(['failed', 'not-reached', 'not-reached']);
    expect(r.rings[0]!.reason).toBe('bootLoop: boot loop in 2 cells');
    expect(r.rings[1]!.run).toBeUndefined();
    expect(r.reason).toContain('broad (3000 machines)');
  });

  it('a ring the lab could not judge stops the rollout as inconclusive, not as the agent\'s fault', () => {
    const r = contentRollout('290', RINGS, [{ verdict: 'pass', run: 'r1' }, { verdict: 'error', run: 'r2' }]);
    expect(r).toMatchObject({ outcome: 'error', stoppedAt: 'early', blastRadius: 115, spared: 3000 });
  });

  it('a rollout cut short before a ring ran (interrupted) is an error naming that ring', () => {
    const r = contentRollout('290', RINGS, [{ verdict: 'pass', run: 'r1' }]);
    expect(r).toMatchObject({ outcome: 'error', stoppedAt: 'early', blastRadius: 15, spared: 3100 });
    expect(r.reason).toContain('interrupted');
  });

  it('refuses a history the runner cannot make: a ring after one that did not pass, more runs than rings', () => {
    expect(() => contentRollout('x', RINGS, [{ verdict: 'fail', run: 'r1' }, { verdict: 'pass', run: 'r2' }])).toThrow(/canary did not pass/);
    expect(() => contentRollout('x', RINGS.slice(0, 1), [{ verdict: 'pass', run: 'r1' }, { verdict: 'pass', run: 'r2' }])).toThrow(RangeError);
  });
});

describe('rolloutVerdict', () => {
  const promoted = contentRollout('290', RINGS, [{ verdict: 'pass', run: '1' }, { verdict: 'pass', run: '2' }, { verdict: 'pass', run: '3' }]);
  const stopped = contentRollout('291', RINGS, [{ verdict: 'fail', run: '1' }]);
  const errored = contentRollout('292', RINGS, [{ verdict: 'error', run: '1' }]);
  it('passes when every content was promoted, fails when any stopped (before an error), else error', () => {
    expect(rolloutVerdict([promoted])).toEqual({ verdict: 'pass', exitCode: 0 });
    expect(rolloutVerdict([promoted, stopped])).toEqual({ verdict: 'fail', exitCode: 1 });
    expect(rolloutVerdict([errored, stopped])).toEqual({ verdict: 'fail', exitCode: 1 });
    expect(rolloutVerdict([promoted, errored])).toEqual({ verdict: 'error', exitCode: 3 });
    expect(rolloutVerdict([])).toEqual({ verdict: 'error', exitCode: 3 });
  });
});
