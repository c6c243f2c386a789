import { describe, expect, it } from 'vitest';
import { bugcheckRecord } from './bugcheck-record.js';
import { mergeBugchecks, sameBugcheck, witnessesOf } from './bugcheck-merge.js';

const P1 = [0xffffffffc0000005n, 0xfffff80312345678n, 0xffffd000a1b2c3d4n, 0xffffd000a1b2c000n];
const P2 = [0xffffffffc0000005n, 0xfffff80399999999n, 0xffffd000a1b2c3d4n, 0xffffd000a1b2c000n];

describe('mergeBugchecks', () => {
  it('folds the witnesses of one bugcheck into one record, named by the best of them', () => {
    const hv = bugcheckRecord({ code: 0x7e, params: P1, source: 'hyperv-crash' });
    const ev = bugcheckRecord({ code: 0x7e, params: P1, source: 'event-log' });
    const dump = bugcheckRecord({ code: 0x7e, params: P1, source: 'dump', module: 'sensor.sys' });
    const merged = mergeBugchecks([hv, ev, dump]);
    expect(merged).toHaveLength(1);
    expect(merged[0]!.source).toBe('dump');
    expect(merged[0]!.title).toBe('SYSTEM_THREAD_EXCEPTION_NOT_HANDLED in sensor.sys');
    expect(witnessesOf(merged[0]!).sort()).toEqual(['dump', 'event-log', 'hyperv-crash']);
  });

  it('keeps two crashes with the same code apart when their parameters differ (two boots)', () => {
    const a = bugcheckRecord({ code: 0x7e, params: P1, source: 'event-log' });
    const b = bugcheckRecord({ code: 0x7e, params: P2, source: 'event-log' });
    expect(sameBugcheck(a, b)).toBe(false);
    expect(mergeBugchecks([a, b, a])).toHaveLength(2);
  });

  it('does not fold other codes or records that are not bugchecks', () => {
    const a = bugcheckRecord({ code: 0x7e, params: P1, source: 'event-log' });
    const b = bugcheckRecord({ code: 0x50, params: P1, source: 'event-log' });
    const reset = { os: 'windows' as const, source: 'qmp' as const, class: 'unknown' as const, title: 'guest reset', signature: 'x' };
    expect(mergeBugchecks([a, b, reset])).toHaveLength(3);
  });
});
