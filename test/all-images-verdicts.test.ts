import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CellResult } from '../harness/results/schema.js';
import { archOf, cellProblems, costTable, expectation, kernelSeries, verdictTable } from '../scripts/all-images-verdicts.js';

// The agent's real health outputs (test/fixtures/verifier/README.md); the cells around them are
// built here, since the rule under test reads only these fields.
const health = (f: string) => readFileSync(join(import.meta.dirname, 'fixtures/verifier', f), 'utf8');
type Cell = Parameters<typeof cellProblems>[0];

function cell(image: string, release: string, kind: 'linux-kmod' | 'linux-ebpf', content: '290' | '291', over: Partial<CellResult> = {}): Cell {
  return {
    id: `${image}__${kind === 'linux-kmod' ? 'sensor' : 'sensor-ebpf'}-2.1.0__content-${content}`,
    image: { name: image, kernelRelease: release },
    agent: { name: kind === 'linux-kmod' ? 'sensor' : 'sensor-ebpf', kind, build: '2.1.0' },
    content: { version: content },
    verdict: 'pass',
    reason: '2/2 boots, no crash',
    cycles: [],
    ...over,
  };
}
const booted = (output: string): CellResult['cycles'][number] => ({ index: 1, phase: 'agent', kind: 'warm', booted: true, outcome: 'unhealthy', startedAt: '2026-11-30T01:00:00.000Z', consoleLog: 'x.log', health: { ok: false, output } });
const crashed = { index: 1, kind: 'warm' as const, booted: false, outcome: 'crash' as const, consoleLog: 'x.log', crash: { os: 'linux', source: 'console', class: 'null-deref', title: 'BUG: kernel NULL pointer dereference in sensor_parse_channel', function: 'sensor_parse_channel', module: 'sensor', signature: 's' } } as unknown as CellResult['cycles'][number];

const OLD = 'debian-11-5.10-generic';
const NEW = 'debian-6.1-generic';
const asExpected: Cell[] = [
  cell(OLD, '5.10.0-46-amd64', 'linux-kmod', '290'),
  cell(OLD, '5.10.0-46-amd64', 'linux-kmod', '291', { verdict: 'fail', bootLoop: true, cycles: [crashed, crashed] }),
  cell(OLD, '5.10.0-46-amd64', 'linux-ebpf', '290', { verdict: 'fail', cycles: [booted(health('debian-11-5.10-generic-290.health.txt'))] }),
  cell(OLD, '5.10.0-46-amd64', 'linux-ebpf', '291', { verdict: 'fail', cycles: [booted(health('debian-11-5.10-generic-291.health.txt'))] }),
  cell(NEW, '6.1.0-57-amd64', 'linux-kmod', '290'),
  cell(NEW, '6.1.0-57-amd64', 'linux-kmod', '291', { verdict: 'fail', bootLoop: true, cycles: [crashed, crashed] }),
  cell(NEW, '6.1.0-57-amd64', 'linux-ebpf', '290'),
  cell(NEW, '6.1.0-57-amd64', 'linux-ebpf', '291', { verdict: 'fail', cycles: [booted(health('debian-6.1-generic-291.health.txt'))] }),
];

describe('the all-images expectation rule', () => {
  it('reads kernel series and architecture from the release', () => {
    expect(kernelSeries('5.10.0-46-amd64')).toEqual([5, 10]);
    expect(kernelSeries('7.2.13+deb14-rt-amd64')).toEqual([7, 2]);
    expect(archOf('6.12.118+deb13-cloud-arm64')).toBe('arm64');
    expect(archOf(undefined)).toBe('?');
  });

  it('expects eBPF 290 to fail only below 5.17, and every 291 to fail', () => {
    expect(expectation(asExpected[2]!).verdict).toBe('fail');
    expect(expectation(cell('x', '5.17.0-1-amd64', 'linux-ebpf', '290')).verdict).toBe('pass');
    expect(expectation(asExpected[6]!).verdict).toBe('pass');
    for (const c of asExpected.filter((x) => x.content.version === '291')) expect(expectation(c).verdict).toBe('fail');
  });

  it('finds nothing wrong with cells that behave as the sensor does', () => {
    for (const c of asExpected) expect(cellProblems(c), c.id).toEqual([]);
    const table = verdictTable(asExpected);
    expect(table).toContain('| debian-11-5.10-generic | 5.10.0-46-amd64 | amd64 | pass | fail: boot loop, BUG: kernel NULL pointer dereference in sensor_parse_channel | fail: kernel lacks a helper: `invalid func unknown#182` (bpf_strncmp, Linux 5.17); fallback to the compat program (reduced functionality) | fail: refused for the content: `R1 min value is outside of the allowed memory range`, after the compat fallback |');
    expect(table).toContain('8 cells over 2 images: 8 as the rule expects, 0 not.');
  });

  it('flags each way a cell can miss the rule', () => {
    const [k290, k291, e290old, e291old, , , , e291new] = asExpected;
    expect(cellProblems({ ...k290!, verdict: 'error', reason: 'lab error: x' })[0]).toMatch(/^verdict error, expected pass/);
    expect(cellProblems({ ...k291!, bootLoop: false })).toEqual(['no boot loop']);
    // A kernel without bpf_strncmp that reports no fallback, or a refusal blamed on the wrong thing.
    expect(cellProblems({ ...e290old!, cycles: [booted(health('debian-6.1-generic-291.health.txt'))] })).toEqual([
      'refused as content (R1 min value is outside of the allowed memory range), expected missing-helper',
      'no fallback recorded, on a kernel without bpf_strncmp',
    ]);
    expect(cellProblems({ ...e291old!, cycles: [{ ...crashed }] })).toContain('a boot failed or crashed: a refused program must not');
    expect(cellProblems({ ...e291new!, verdict: 'pass' })[0]).toMatch(/^verdict pass, expected fail/);
    expect(verdictTable([{ ...e291new!, verdict: 'pass' }])).toMatch(/\*\*UNEXPECTED\*\* pass/);
  });

  it('the cost table: every boot measured, a missing figure as ?', () => {
    const t = costTable([
      { image: OLD, kernel: '5.10.0-46-amd64', buildSeconds: 21.7, sizeMiB: 11.2, coldBoots: [25.6, 16.1] },
      { image: NEW, kernel: '6.1.0-57-amd64', coldBoots: [] },
    ]);
    expect(t).toContain('| debian-11-5.10-generic | 5.10.0-46-amd64 | 21.7 | 11.2 | 25.6, 16.1 |');
    expect(t).toContain('| debian-6.1-generic | 6.1.0-57-amd64 | ? | ? | ? |');
  });
});
