import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EventTextScanner } from './event-text-scan.js';
import { EventXmlScanner } from './event-xml-scan.js';
import { HypervCrashScanner } from './hyperv-crash.js';

const fixture = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');

describe('the Windows text scanners keep memory bounded', () => {
  it('skip an <Event> element over 1 MiB and read the next one', () => {
    const s = new EventXmlScanner();
    s.push(`<Event xmlns="x"><EventID>1</EventID>${'x'.repeat(1 << 19)}`);
    s.push('y'.repeat(1 << 20));
    s.push(fixture('kernel-power-41.xml'));
    s.end();
    expect(s.oversized).toBe(1);
    expect(s.records.map((r) => r.code)).toEqual(['0x00000050', '0x00000050', '0x000000D1']);
  });

  it('count the records past their maximum instead of keeping them', () => {
    const text = new EventTextScanner(1);
    text.push(fixture('event-1001-wevtutil.txt'));
    expect(text.end()?.map((r) => r.code)).toEqual(['0x00000050']);
    expect(text.dropped).toBe(1);
    const hv = new HypervCrashScanner(1);
    hv.push(`${fixture('qemu-hv-crash.log')}${fixture('libvirt-qemu.log')}`);
    hv.end();
    expect([hv.crashes.length, hv.dropped]).toEqual([1, 1]);
  });

  it('read a line of many MiB without a line break by its first characters', () => {
    const hv = new HypervCrashScanner();
    hv.push('HV crash parameters: (0x50 0x1 0x2 0x3 0x4) ');
    for (let i = 0; i < 8; i++) hv.push('z'.repeat(1 << 20));
    hv.end();
    expect(hv.crashes.map((c) => c.args[0])).toEqual([0x50n]);
  });
});
