import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeText, detectWindowsEvidence, sniffWindowsEvidence } from './sniff.js';

const fixture = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url));
const LINUX_DIR = new URL('../testdata/linux-console/', import.meta.url);

describe('detectWindowsEvidence', () => {
  it.each([
    ['kernel-du64-0x50.dmp', 'kernel-dump', ['0x00000050']],
    ['kernel-dump32-0xd1.dmp', 'kernel-dump', ['0x000000D1']],
    ['kernel-power-41.xml', 'event-xml', ['0x00000050', '0x00000050', '0x000000D1']],
    ['event-1001-wevtutil.txt', 'event-text', ['0x00000050', '0x000000D1']],
    ['event-1001-formatlist.txt', 'event-text', ['0x0000007E']],
    ['qmp-guest-panicked.jsonl', 'hyperv-crash-log', ['0x00000050']],
    ['qemu-hv-crash.log', 'hyperv-crash-log', ['0x000000D1']],
    ['libvirt-qemu.log', 'hyperv-crash-log', ['0x0000007E']],
  ])('%s is %s', (name, kind, codes) => {
    const ev = sniffWindowsEvidence(fixture(name), name)!;
    expect(ev.kinds).toEqual([kind]);
    expect(ev.records.map((r) => r.code)).toEqual(codes);
    expect(ev.records.every((r) => r.os === 'windows' && r.class === 'bugcheck')).toBe(true);
    expect(detectWindowsEvidence(fixture(name))).toEqual(ev.records);
  });

  it('gives [] with a note for Windows evidence without a bugcheck', () => {
    const clean = sniffWindowsEvidence(fixture('system-clean.xml'), 'system.xml')!;
    expect(clean).toMatchObject({ kinds: ['event-xml'], records: [] });
    expect(clean.notes[0]).toMatch(/^system.xml: .*no bugcheck/);

    const mini = sniffWindowsEvidence(fixture('user-minidump.dmp'))!;
    expect(mini).toMatchObject({ kinds: ['minidump'], records: [] });
    expect(mini.notes[0]).toMatch(/unsupported/);

    const cut = sniffWindowsEvidence(fixture('kernel-du64-0x50.dmp').subarray(0, 0x20))!;
    expect(cut).toMatchObject({ kinds: ['kernel-dump'], records: [] });
    expect(cut.notes[0]).toMatch(/cut at 32 bytes/);

    const evtx = Buffer.concat([Buffer.from('ElfFile\0', 'latin1'), Buffer.alloc(120)]);
    expect(sniffWindowsEvidence(evtx)).toMatchObject({ kinds: ['evtx'], records: [] });

    const formatList = Buffer.from(
      '\r\nTimeCreated  : 11/24/2025 8:00:20 AM\r\nProviderName : EventLog\r\nId           : 6005\r\nMessage      : The Event log service was started.\r\n\r\nTimeCreated  : 11/24/2025 8:00:10 AM\r\nProviderName : Microsoft-Windows-Kernel-General\r\nId           : 12\r\nMessage      : The operating system started at system time 2025-11-24T08:00:09.5000000Z.\r\n',
    );
    expect(detectWindowsEvidence(formatList)).toEqual([]);
  });

  it('reads UTF-16 exports (PowerShell 5 redirection), with or without BOM', () => {
    const text = fixture('event-1001-wevtutil.txt').toString('utf8');
    const withBom = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    expect(detectWindowsEvidence(withBom)?.map((r) => r.code)).toEqual(['0x00000050', '0x000000D1']);
    expect(detectWindowsEvidence(Buffer.from(text, 'utf16le'))).toHaveLength(2);
    const be = Buffer.from(text, 'utf16le').swap16();
    expect(decodeText(Buffer.concat([Buffer.from([0xfe, 0xff]), be]))).toBe(text);
    expect(decodeText(Buffer.from(`\ufeff${text}`, 'utf8'))).toBe(text);
  });

  it('returns undefined for every Linux console log of the shared test data, so the Linux parser can take them', () => {
    const names = readdirSync(LINUX_DIR).filter((n) => n.endsWith('.txt'));
    expect(names.length).toBeGreaterThan(100);
    const taken = names.filter((name) => detectWindowsEvidence(readFileSync(new URL(name, LINUX_DIR)), name) !== undefined);
    expect(taken).toEqual([]);
  });

  it('returns undefined for other files: empty, random binary, a pvpanic-only QMP log, wrong dump magic', () => {
    expect(detectWindowsEvidence(Buffer.alloc(0))).toBeUndefined();
    expect(detectWindowsEvidence(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0]))).toBeUndefined();
    const pvpanic = '{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "GUEST_PANICKED", "data": {"action": "pause"}}\n';
    expect(detectWindowsEvidence(Buffer.from(pvpanic))).toBeUndefined();
    const badMagic = Buffer.from(fixture('kernel-du64-0x50.dmp'));
    badMagic.write('XAGE', 0, 'latin1');
    expect(detectWindowsEvidence(badMagic, 'MEMORY.DMP')).toBeUndefined();
    // Some other binary (a core file, a raw memory image) that happens to contain a 1001 message.
    const embedded = Buffer.concat([Buffer.alloc(16), fixture('event-1001-wevtutil.txt'), Buffer.alloc(16)]);
    expect(detectWindowsEvidence(embedded)).toBeUndefined();
  });

  it('collects every kind found in a combined harness log', () => {
    const combined = Buffer.concat([fixture('qemu-hv-crash.log'), fixture('event-1001-wevtutil.txt')]);
    const ev = sniffWindowsEvidence(combined)!;
    expect(ev.kinds).toEqual(['hyperv-crash-log', 'event-text']);
    expect(ev.records.map((r) => `${r.source}:${r.code}`)).toEqual([
      'hyperv-crash:0x000000D1',
      'event-log:0x00000050',
      'event-log:0x000000D1',
    ]);
  });
});
