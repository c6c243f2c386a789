import { describe, expect, it } from 'vitest';
import { parseJsonBigSafe, qmpIntToHex } from './json-bigsafe.js';

describe('parseJsonBigSafe', () => {
  it('keeps 64-bit kernel addresses exact', () => {
    const line = '{"event":"GUEST_PANICKED","data":{"action":"pause","info":{"type":"hyper-v","arg1":80,"arg2":18446735277616529408,"arg3":0}}}';
    const v = parseJsonBigSafe(line) as { data: { info: Record<string, unknown> } };
    expect(v.data.info.arg1).toBe(80);
    expect(v.data.info.arg2).toBe('18446735277616529408');
    expect(qmpIntToHex(v.data.info.arg2, 16)).toBe('0xFFFFF80000000000');
    expect(JSON.parse(line).data.info.arg2).not.toBe(18446735277616529408n.toString()); // plain JSON.parse rounds
  });
  it('does not touch digits inside strings, floats or small numbers', () => {
    const v = parseJsonBigSafe('{"s":"12345678901234567890","f":1.5e300,"n":-42,"esc":"a\\"99999999999999999999"}') as Record<string, unknown>;
    expect(v).toEqual({ s: '12345678901234567890', f: 1.5e300, n: -42, esc: 'a"99999999999999999999' });
  });
  it('renders negative numbers as 64-bit two complement', () => {
    expect(qmpIntToHex(-1)).toBe('0xFFFFFFFFFFFFFFFF');
    expect(qmpIntToHex(0x50, 8)).toBe('0x00000050');
  });
});
