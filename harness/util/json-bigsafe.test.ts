import { describe, expect, it } from 'vitest';
import { parseJsonBigSafe } from './json-bigsafe.js';

describe('parseJsonBigSafe', () => {
  it('keeps 64-bit kernel addresses exact', () => {
    const line = '{"event":"GUEST_PANICKED","data":{"action":"pause","info":{"type":"hyper-v","arg1":80,"arg2":18446735277616529408,"arg3":0}}}';
    const v = parseJsonBigSafe(line) as { data: { info: Record<string, unknown> } };
    expect(v.data.info.arg1).toBe(80);
    expect(v.data.info.arg2).toBe('18446735277616529408');
    expect(BigInt(v.data.info.arg2 as string)).toBe(0xfffff80000000000n);
    expect(JSON.parse(line).data.info.arg2).not.toBe(18446735277616529408n.toString()); // plain JSON.parse rounds
  });
  it('does not touch digits inside strings, floats or small numbers', () => {
    const v = parseJsonBigSafe('{"s":"12345678901234567890","f":1.5e300,"n":-42,"esc":"a\\"99999999999999999999"}') as Record<string, unknown>;
    expect(v).toEqual({ s: '12345678901234567890', f: 1.5e300, n: -42, esc: 'a"99999999999999999999' });
  });
});
