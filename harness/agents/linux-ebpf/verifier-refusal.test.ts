import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyVerifierLog, refusalText } from './verifier-refusal.js';

// Real logs, from the sensor's boots under QEMU (test/fixtures/verifier/README.md says which).
const fixture = (f: string) => readFileSync(join(import.meta.dirname, '../../../test/fixtures/verifier', f), 'utf8');

describe('classifyVerifierLog', () => {
  it("5.10's verifier on the full program: a missing helper, named with the Linux version that has it", () => {
    const r = classifyVerifierLog(fixture('debian-11-5.10.0-46-missing-helper.log'));
    expect(r).toEqual({ kind: 'missing-helper', message: 'invalid func unknown#182', helper: { id: 182, name: 'bpf_strncmp', since: '5.17' } });
    expect(refusalText(r!)).toBe('kernel lacks a helper: `invalid func unknown#182` (bpf_strncmp, Linux 5.17)');
  });

  it('content 291 on 6.1 and on the compat program of 5.10: the content, by the access past the inputs', () => {
    for (const f of ['debian-12-6.1.0-57-content-291.log', 'debian-11-5.10.0-46-compat-content-291.log']) {
      expect(classifyVerifierLog(fixture(f)), f).toEqual({ kind: 'content', message: 'R1 min value is outside of the allowed memory range' });
    }
  });

  it("the agent's health output: the fallback it took is recorded beside the refusal", () => {
    const reduced = classifyVerifierLog(fixture('debian-11-5.10-generic-290.health.txt'))!;
    expect(reduced.kind).toBe('missing-helper');
    expect(reduced.helper).toEqual({ id: 182, name: 'bpf_strncmp', since: '5.17' });
    expect(reduced.fallback).toMatch(/^reduced functionality \(sensor-compat\.bpf\.o, 5 of 9 rules not enforced\)/);
    expect(refusalText(reduced)).toMatch(/; fallback to the compat program \(reduced functionality\)$/);

    // 291 on 5.10: the compat program is refused too, for the content: the content decides.
    const both = classifyVerifierLog(fixture('debian-11-5.10-generic-291.health.txt'))!;
    expect(both).toMatchObject({ kind: 'content', message: 'R1 min value is outside of the allowed memory range' });
    expect(both.fallback).toMatch(/^sensor-compat\.bpf\.o, the fallback after: invalid func unknown#182/);
    expect(refusalText(both)).toMatch(/^refused for the content: .*, after the compat fallback$/);

    expect(classifyVerifierLog(fixture('debian-6.1-generic-291.health.txt'))).toEqual({ kind: 'content', message: 'R1 min value is outside of the allowed memory range' });
  });

  it("6.x's wording for a helper the program type may not call (the kernel's format string)", () => {
    expect(classifyVerifierLog('sensor-ebpf: verifier: program of this type cannot use helper bpf_strncmp#182\n')).toMatchObject({ kind: 'missing-helper', helper: { id: 182 } });
    expect(classifyVerifierLog('unknown func bpf_loop#181\n')).toMatchObject({ kind: 'missing-helper', message: 'unknown func bpf_loop#181', helper: { id: 181 } });
  });

  it('no refusal in a healthy status, another refusal kept as other', () => {
    const healthy = fixture('debian-11-5.10-generic-290.health.txt').split('\n').slice(1).join('\n');
    expect(classifyVerifierLog(healthy)).toBeUndefined();
    expect(classifyVerifierLog('sensor-ebpf: verifier: back-edge from insn 12 to 4\nsensor-ebpf: refused content 7: verifier rejected the program\n')).toEqual({ kind: 'other', message: 'back-edge from insn 12 to 4' });
  });
});
