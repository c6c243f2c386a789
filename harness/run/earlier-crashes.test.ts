import { describe, expect, it } from 'vitest';
import { bugcheckRecord } from '../detect/windows/bugcheck-record.js';
import type { CycleResult } from '../results/schema.js';
import { attributeEarlierCrashes } from './earlier-crashes.js';

const P = (n: bigint) => [0xffffffffc0000005n, n, 0n, 0n];
const cyc = (index: number, booted: boolean, crash?: CycleResult['crash']): CycleResult => ({
  index,
  phase: 'agent',
  kind: 'warm',
  booted,
  outcome: booted ? 'ready' : crash ? 'crash' : 'timeout',
  startedAt: '2026-01-01T00:00:00.000Z',
  consoleLog: `agent-${index}.log`,
  ...(crash ? { crash } : {}),
});
const reset = { os: 'windows' as const, source: 'qmp' as const, class: 'unknown' as const, title: 'guest reset before ready (no crash report on the console)', signature: 's' };

describe('attributeEarlierCrashes', () => {
  it('folds the event log into the boot whose GUEST_PANICKED saw the same bugcheck', () => {
    const cycles = [cyc(1, true), cyc(2, false, bugcheckRecord({ code: 0x7e, params: P(1n), source: 'hyperv-crash' }))];
    const left = attributeEarlierCrashes(cycles, [bugcheckRecord({ code: 0x7e, params: P(1n), source: 'event-log' })]);
    expect(left).toEqual([]);
    expect(cycles[1]!.crash!.source).toBe('event-log');
    expect(cycles[1]!.crash!.excerpt).toMatch(/seen in: event-log, hyperv-crash/);
    expect(cycles[0]!.crash).toBeUndefined();
  });

  it('names the bugcheck of a boot that was only seen to reset (TCG: no hv-crash)', () => {
    const cycles = [cyc(1, true), cyc(2, false, reset), cyc(3, false, reset)];
    attributeEarlierCrashes(cycles, [bugcheckRecord({ code: 0x50, params: P(1n), source: 'event-log' }), bugcheckRecord({ code: 0x50, params: P(2n), source: 'event-log' })]);
    expect(cycles[1]!.crash!.name).toBe('PAGE_FAULT_IN_NONPAGED_AREA');
    expect(cycles[1]!.crash!.excerpt).toMatch(/while it happened: guest reset/);
    expect(cycles[2]!.crash!.params![1]).toBe('0x0000000000000002');
  });

  it('puts a crash with no failed boot on the last boot that came up, and only the boots since then', () => {
    const old = cyc(1, false, reset);
    const cycles = [old, cyc(2, true)];
    attributeEarlierCrashes(cycles, [bugcheckRecord({ code: 0x7e, params: P(3n), source: 'dump' })]);
    expect(old.crash).toBe(reset);
    expect(cycles[1]!.crash!.code).toBe('0x0000007E');
    const left = attributeEarlierCrashes(cycles, [bugcheckRecord({ code: 0x50, params: P(4n), source: 'dump' })]);
    expect(left).toHaveLength(1);
  });
});

describe('attributeEarlierCrashes, asked again a boot later', () => {
  it('folds a bugcheck already on an older boot instead of counting it again', () => {
    const rec = bugcheckRecord({ code: 0x50, params: P(9n), source: 'event-log' });
    const cycles = [cyc(1, false, rec), cyc(2, true)];
    expect(attributeEarlierCrashes(cycles, [bugcheckRecord({ code: 0x50, params: P(9n), source: 'event-log' })])).toEqual([]);
    expect(cycles[1]!.crash).toBeUndefined();
    expect(cycles.filter((c) => c.crash)).toHaveLength(1);
  });
});
