import { describe, expect, it } from 'vitest';
import type { FuzzCrash } from '../results/fuzz-schema.js';
import { judgeFuzz } from './fuzz-verdict.js';

const stats = { mutants: 100, accepted: 60, refused: 39, crashed: 1, distinctCrashes: 1, restores: 1, loadSeconds: 50, mutantsPerMinute: 120 };
const crash: FuzzCrash = {
  signature: 'abc',
  crash: { os: 'linux', source: 'console', class: 'null-deref', title: 'BUG: kernel NULL pointer dereference in sensor_parse_channel', signature: 'abc' },
  mutant: 7,
  seed: '290',
  mutators: ['index-at-limit'],
  hits: 3,
  confirm: { run: 'confirm/x', verdict: 'fail', bootLoop: true, boots: 2, crashedBoots: 2 },
};

describe('judgeFuzz', () => {
  it('fails on a distinct crash beyond maxCrashes, naming it', () => {
    const v = judgeFuzz({ status: 'finished', crashes: [crash], stats }, 0);
    expect(v.verdict).toBe('fail');
    expect(v.exitCode).toBe(1);
    expect(v.reasons.join('\n')).toMatch(/sensor_parse_channel \(3 mutants, boot loop confirmed\)/);
    expect(judgeFuzz({ status: 'finished', crashes: [crash], stats }, 1).verdict).toBe('pass');
  });

  it('passes a finished run with no crash, and never an interrupted or failed one', () => {
    expect(judgeFuzz({ status: 'finished', crashes: [], stats }, 0).exitCode).toBe(0);
    expect(judgeFuzz({ status: 'interrupted', crashes: [], stats }, 0).exitCode).toBe(3);
    expect(judgeFuzz({ status: 'interrupted', crashes: [crash], stats }, 0)).toMatchObject({ verdict: 'error', exitCode: 3 });
    expect(judgeFuzz({ status: 'error', error: 'QEMU died', crashes: [crash], stats }, 0)).toMatchObject({ verdict: 'error', exitCode: 3 });
  });
});
