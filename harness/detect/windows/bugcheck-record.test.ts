import { describe, expect, it } from 'vitest';
import { crashRecordSchema, signatureOf } from '../../results/crash-record.js';
import { bugcheckRecord, formatParam, normalizeModule, toU64 } from './bugcheck-record.js';

const PARAMS = [0xffff9a8b12345a18n, 2n, 0xfffff80012345678n, 2n];

describe('bugcheckRecord', () => {
  it('makes a windows bugcheck record with hex code, name and 0x%016X params', () => {
    const r = bugcheckRecord({ code: 0x50, params: PARAMS, source: 'dump' });
    expect(crashRecordSchema.parse(r)).toEqual(r);
    expect(r).toMatchObject({
      os: 'windows',
      source: 'dump',
      class: 'bugcheck',
      code: '0x00000050',
      name: 'PAGE_FAULT_IN_NONPAGED_AREA',
      title: 'PAGE_FAULT_IN_NONPAGED_AREA',
      params: ['0xFFFF9A8B12345A18', '0x0000000000000002', '0xFFFFF80012345678', '0x0000000000000002'],
    });
    expect(r.signature).toBe(signatureOf('PAGE_FAULT_IN_NONPAGED_AREA'));
    expect(r.module).toBeUndefined();
  });

  it('names the module in the title, normalized to its lower-case file name', () => {
    const r = bugcheckRecord({ code: 0xd1, params: PARAMS, source: 'event-log', module: '\\SystemRoot\\System32\\drivers\\MyAgent.SYS' });
    expect(r.title).toBe('DRIVER_IRQL_NOT_LESS_OR_EQUAL in myagent.sys');
    expect(r.module).toBe('myagent.sys');
    expect(normalizeModule('C:/x/Foo.sys')).toBe('foo.sys');
  });

  it('keeps the parameters out of the title: same bug on another boot has the same signature', () => {
    const a = bugcheckRecord({ code: 0x50, params: PARAMS, source: 'hyperv-crash' });
    const b = bugcheckRecord({ code: 0x50, params: [0xffffc001deadb000n, 0n, 0xfffff8047aa01234n, 0n], source: 'dump' });
    expect(a.params).not.toEqual(b.params);
    expect(a.signature).toBe(b.signature);
    expect(bugcheckRecord({ code: 0xd1, params: PARAMS, source: 'dump' }).signature).not.toBe(a.signature);
  });

  it('titles unknown codes BUGCHECK_0x%08X and leaves name out', () => {
    const r = bugcheckRecord({ code: 0x1234, params: [0n, 0n, 0n, 0n], source: 'dump' });
    expect(r.title).toBe('BUGCHECK_0x00001234');
    expect(r.code).toBe('0x00001234');
    expect(r.name).toBeUndefined();
  });

  it('accepts decimal strings (BigInt-safe JSON), hex strings, numbers and bigints', () => {
    const r = bugcheckRecord({
      code: 0x50,
      params: ['18446632520829393432', '0x2', 0xfffff80012345678n, 2],
      source: 'hyperv-crash',
    });
    expect(r.params).toEqual(['0xFFFF9A8B12345A18', '0x0000000000000002', '0xFFFFF80012345678', '0x0000000000000002']);
  });

  it('reads negative values as 64-bit two complement and rejects garbage', () => {
    expect(formatParam(-1)).toBe('0xFFFFFFFFFFFFFFFF');
    expect(toU64('-1073741819')).toBe(0xffffffffc0000005n);
    expect(() => toU64('ffff')).toThrow();
    expect(() => toU64('1.5')).toThrow();
    expect(() => toU64(1.5)).toThrow();
  });

  it('carries excerpt and corrupted when given', () => {
    const r = bugcheckRecord({ code: 0xe2, params: [], source: 'dump', excerpt: 'x', corrupted: true });
    expect(r.excerpt).toBe('x');
    expect(r.corrupted).toBe(true);
    expect(r.params).toEqual([]);
  });
});
