import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseJsonBigSafe } from '../../util/json-bigsafe.js';
import {
  hypervCrashFromQmp,
  hypervCrashFromQmpLine,
  hypervCrashRecord,
  parseHypervCrashes,
  parseHypervCrashLog,
} from './hyperv-crash.js';

const fixture = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');

const P50 = ['0xFFFF9A8B12345A18', '0x0000000000000002', '0xFFFFF80012345678', '0x0000000000000002'];

describe('QMP GUEST_PANICKED with hyper-v info', () => {
  it('keeps parameters above 2^53 exact through the BigInt-safe reader', () => {
    const line = fixture('qmp-guest-panicked.jsonl').split('\n').find((l) => l.includes('GUEST_PANICKED'))!;
    // The same line read with plain JSON.parse loses the low bits of arg2: what this parser must avoid.
    const plain = JSON.parse(line).data.info.arg2 as number;
    expect(BigInt(plain)).not.toBe(0xffff9a8b12345a18n);

    const r = hypervCrashFromQmpLine(line)!;
    expect(r).toMatchObject({
      os: 'windows',
      source: 'hyperv-crash',
      class: 'bugcheck',
      code: '0x00000050',
      name: 'PAGE_FAULT_IN_NONPAGED_AREA',
      title: 'PAGE_FAULT_IN_NONPAGED_AREA',
      params: P50,
    });
    expect(r.corrupted).toBeUndefined();
    expect(r.excerpt).toContain('GUEST_PANICKED action=run hyper-v');
  });

  it('accepts the whole message or only its data, args as numbers, decimal strings or bigints', () => {
    const data = { action: 'pause', info: { type: 'hyper-v', arg1: 0xd1, arg2: '18446696244953743376', arg3: 2n, arg4: 0, arg5: '0x10' } };
    const fromData = hypervCrashRecord(data)!;
    const fromMsg = hypervCrashRecord({ event: 'GUEST_CRASHLOADED', data })!;
    expect(fromData.params).toEqual(['0xFFFFD48000000010', '0x0000000000000002', '0x0000000000000000', '0x0000000000000010']);
    expect(fromMsg).toEqual({ ...fromData, excerpt: fromMsg.excerpt });
    expect(fromData.title).toBe('DRIVER_IRQL_NOT_LESS_OR_EQUAL');
  });

  it('marks the record corrupted when a number was already rounded by a plain JSON.parse', () => {
    const msg = JSON.parse('{"event":"GUEST_PANICKED","data":{"action":"pause","info":{"type":"hyper-v","arg1":80,"arg2":18446632520829393432,"arg3":2,"arg4":0,"arg5":0}}}');
    expect(hypervCrashRecord(msg)!.corrupted).toBe(true);
    const safe = parseJsonBigSafe('{"event":"GUEST_PANICKED","data":{"action":"pause","info":{"type":"hyper-v","arg1":80,"arg2":18446632520829393432,"arg3":2,"arg4":0,"arg5":0}}}');
    expect(hypervCrashRecord(safe)!.corrupted).toBeUndefined();
  });

  it('ignores panics without hyper-v info and other events', () => {
    expect(hypervCrashRecord({ event: 'GUEST_PANICKED', data: { action: 'pause' } })).toBeUndefined();
    expect(hypervCrashRecord({ event: 'GUEST_PANICKED', data: { action: 'pause', info: { type: 's390', core: 0 } } })).toBeUndefined();
    expect(hypervCrashRecord({ event: 'RESET', data: { guest: true, reason: 'guest-reset' } })).toBeUndefined();
    expect(hypervCrashRecord('GUEST_PANICKED')).toBeUndefined();
    expect(hypervCrashFromQmpLine('{"event": "GUEST_PANICKED", "data": {"action": "pause"')).toBeUndefined();
    expect(hypervCrashFromQmp({ action: 'pause', info: { type: 'hyper-v', arg1: 'zzz' } })).toBeUndefined();
  });
});

describe('QEMU and libvirt log lines', () => {
  it("reads QEMU's HV crash parameters line, with a zero printed as a bare 0", () => {
    const [r, ...rest] = parseHypervCrashLog(fixture('qemu-hv-crash.log'));
    expect(rest).toHaveLength(0);
    expect(r).toMatchObject({
      code: '0x000000D1',
      title: 'DRIVER_IRQL_NOT_LESS_OR_EQUAL',
      params: ['0xFFFFD48000000010', '0x0000000000000002', '0x0000000000000000', '0xFFFFF8001D2B1A4C'],
      source: 'hyperv-crash',
    });
    expect(r!.corrupted).toBeUndefined();
  });

  it('reads the 0x-everywhere variant of the QEMU line too', () => {
    const [r] = parseHypervCrashLog('HV crash parameters: (0xe2 0x0 0x0 0x0 0x0)');
    expect(r).toMatchObject({ code: '0x000000E2', name: 'MANUALLY_INITIATED_CRASH', params: Array(4).fill('0x0000000000000000') });
  });

  it("reads libvirt's panic hyper-v line and folds QEMU's line for the same crash into it", () => {
    const crashes = parseHypervCrashes(fixture('libvirt-qemu.log'));
    expect(crashes.map((c) => c.form)).toEqual(['libvirt-log']);
    const [r] = parseHypervCrashLog(fixture('libvirt-qemu.log'));
    expect(r).toMatchObject({
      code: '0x0000007E',
      title: 'SYSTEM_THREAD_EXCEPTION_NOT_HANDLED',
      params: ['0xFFFFFFFFC0000005', '0xFFFFF80012345678', '0xFFFFD40A8E2F6E88', '0xFFFFD40A8E2F66C0'],
    });
  });

  it('marks a cut libvirt line corrupted and keeps the arguments it has', () => {
    const [r] = parseHypervCrashLog("panic hyper-v: arg1='0x50', arg2='0xffff9a8b12345a18'");
    expect(r).toMatchObject({ code: '0x00000050', params: ['0xFFFF9A8B12345A18'], corrupted: true });
  });

  it('counts a pause+poweroff pair once, but a crash after a RESET again', () => {
    const ev = (action: string) =>
      `{"event": "GUEST_PANICKED", "data": {"action": "${action}", "info": {"type": "hyper-v", "arg1": 226, "arg2": 0, "arg3": 0, "arg4": 0, "arg5": 0}}}`;
    const reset = '{"event": "RESET", "data": {"guest": true, "reason": "guest-reset"}}';
    expect(parseHypervCrashLog([ev('pause'), ev('poweroff')].join('\n'))).toHaveLength(1);
    expect(parseHypervCrashLog([ev('run'), reset, ev('run')].join('\n'))).toHaveLength(2);
    const other = ev('run').replace('"arg2": 0', '"arg2": 1');
    expect(parseHypervCrashLog([ev('run'), other].join('\n'))).toHaveLength(2);
  });

  it('finds nothing in text without Hyper-V crash lines', () => {
    expect(parseHypervCrashLog('Guest crashed\nkernel: panic - not syncing\n{"event": "SHUTDOWN"}')).toEqual([]);
    expect(parseHypervCrashLog('HV crash parameters: (garbage)')).toEqual([]);
  });
});
