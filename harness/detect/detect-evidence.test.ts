import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectEvidence, EvidenceStream, HEAD_BYTES, type EvidenceResult } from './detect-evidence.js';

const linuxCrash = readFileSync(new URL('../../test/fixtures/sensor-291-debian-6.1.log', import.meta.url));
const linuxClean = readFileSync(new URL('../../test/fixtures/sensor-290-debian-6.1-clean.log', import.meta.url));
const win = (name: string) => readFileSync(new URL(`./windows/testdata/${name}`, import.meta.url));
const LINUX_TITLE = 'BUG: kernel NULL pointer dereference in sensor_parse_channel';

const titles = (r: EvidenceResult) => r.crashes.map((c) => c.title);

/** The same file fed in pieces of `size` bytes (or of random sizes from a seed). */
function inPieces(path: string, buf: Buffer, size: number | { seed: number; max: number }): EvidenceResult {
  const s = new EvidenceStream(path);
  let rnd = typeof size === 'number' ? 0 : size.seed;
  const next = () => {
    if (typeof size === 'number') return size;
    rnd = (rnd * 1103515245 + 12345) % 2 ** 31;
    return 1 + (rnd % size.max);
  };
  for (let i = 0; i < buf.length; ) {
    const n = next();
    s.push(buf.subarray(i, i + n));
    i += n;
  }
  return s.end();
}

describe('detectEvidence: mis-sniffs of issue #14', () => {
  it('600 NUL bytes before a Linux console: still the Linux crash (not UTF-16)', () => {
    const r = detectEvidence('nul.log', Buffer.concat([Buffer.alloc(600), linuxCrash]));
    expect(r.kind).toBe('linux-console');
    expect(titles(r)).toEqual([LINUX_TITLE]);
  });

  it('NUL bytes right before the crash line do not hide its printk prefix', () => {
    const text = linuxCrash.toString('utf8').replace('[    3.449904] BUG:', '\0\0\0\0[    3.449904] BUG:');
    expect(titles(detectEvidence('nul-mid.log', Buffer.from(text)))).toEqual([LINUX_TITLE]);
  });

  it('FF FE before a Linux console: still the Linux crash, with a note on the byte-order mark', () => {
    const r = detectEvidence('bom.log', Buffer.concat([Buffer.from([0xff, 0xfe]), linuxCrash]));
    expect(titles(r)).toEqual([LINUX_TITLE]);
    expect(r.notes?.join('\n')).toMatch(/byte-order mark, but what follows is not UTF-16 text: read as UTF-8/);
  });

  it('a Windows event export line appended to a Linux console: both are read, the Linux crash stays', () => {
    const exportLine = '\r\nProviderName : Microsoft-Windows-Kernel-Power\r\nId           : 41\r\n';
    const r = detectEvidence('mixed.log', Buffer.concat([linuxCrash, Buffer.from(exportLine)]));
    expect(r.kind).toBe('linux-console+event-text');
    expect(titles(r)).toEqual([LINUX_TITLE]);
  });

  it('a 1001 bugcheck message appended to a Linux console: both sets of records are reported', () => {
    const r = detectEvidence('both.log', Buffer.concat([linuxCrash, win('event-1001-wevtutil.txt')]));
    expect(r.kind).toBe('linux-console+event-text');
    expect(r.crashes.map((c) => `${c.os}:${c.code ?? c.title}`)).toEqual([`linux:${LINUX_TITLE}`, 'windows:0x00000050', 'windows:0x000000D1']);
  });

  it.each(['PAGE', 'PAGEDU64', 'PAGEDUMP', 'MDMP'])('a log that starts with %s is read as text, not as a dump', (magic) => {
    const r = detectEvidence('magic.log', Buffer.concat([Buffer.from(`${magic} written by a test harness\n`), linuxCrash]));
    expect(r.kind).toBe('linux-console');
    expect(titles(r)).toEqual([LINUX_TITLE]);
    if (magic !== 'PAGE') expect(r.notes?.join('\n')).toMatch(/starts like a (kernel dump|minidump) but its header does not validate/);
  });

  it('a dump whose header validates is still a dump, read from its head alone', () => {
    const dump = Buffer.concat([win('kernel-du64-0x50.dmp'), Buffer.alloc(HEAD_BYTES * 3, 0x41)]);
    const s = new EvidenceStream('MEMORY.DMP');
    expect(s.push(dump.subarray(0, HEAD_BYTES))).toBe(false); // no more bytes wanted
    expect(s.end()).toMatchObject({ kind: 'kernel-dump', crashes: [{ code: '0x00000050', source: 'dump' }] });
    expect(detectEvidence('mini.dmp', win('user-minidump.dmp'))).toMatchObject({ kind: 'minidump', crashes: [] });
  });

  it('UTF-16 with a byte-order mark and real text is still UTF-16', () => {
    const text = win('event-1001-wevtutil.txt').toString('utf8');
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    expect(detectEvidence('le.txt', le).crashes.map((c) => c.code)).toEqual(['0x00000050', '0x000000D1']);
    const be = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]);
    expect(inPieces('be.txt', be, 3).crashes.map((c) => c.code)).toEqual(['0x00000050', '0x000000D1']);
  });

  it('a core file that holds a 1001 message is no event export; its console text is still read', () => {
    const core = Buffer.concat([Buffer.alloc(64), win('event-1001-wevtutil.txt'), Buffer.alloc(64)]);
    expect(detectEvidence('core', core).crashes).toEqual([]);
  });
});

describe('EvidenceStream: pieces split anywhere give what the whole file gives', () => {
  const files: [string, Buffer][] = [
    ...readdirSync(new URL('./windows/testdata/', import.meta.url))
      .filter((n) => !n.endsWith('.md'))
      .map((n): [string, Buffer] => [n, win(n)]),
    ['linux-crash', linuxCrash],
    ['linux-clean', linuxClean],
    ['mixed', Buffer.concat([linuxCrash, win('event-1001-formatlist.txt'), win('qemu-hv-crash.log'), win('kernel-power-41.xml')])],
  ];
  it.each(files)('%s', (name, buf) => {
    const whole = detectEvidence(name, buf);
    for (const size of [1, 7, { seed: 1, max: 300 }, { seed: 2, max: 5000 }]) {
      expect(inPieces(name, buf, size), `${name} in pieces of ${JSON.stringify(size)}`).toEqual(whole);
    }
  });

  it('finds crashes past the head, many MiB in, read in 64 KiB pieces', () => {
    const quiet = Buffer.from('[    1.000000] random: crng init done\n'.repeat(100_000)); // 3.9 MB
    const buf = Buffer.concat([quiet, win('event-1001-formatlist.txt'), quiet, linuxCrash, quiet]);
    const r = inPieces('long.log', buf, 64 << 10);
    expect(r.kind).toBe('linux-console+event-text');
    expect(r.crashes.map((c) => c.code ?? c.title)).toEqual([LINUX_TITLE, '0x0000007E']);
    expect(r).toEqual(detectEvidence('long.log', buf));
  });

  it('a wrapped 1001 message cut between two pieces at any point is read whole', () => {
    const text = win('event-1001-formatlist.txt');
    const whole = detectEvidence('fl.txt', text);
    expect(whole.crashes.map((c) => c.code)).toEqual(['0x0000007E']);
    for (let cut = 1; cut < text.length; cut++) {
      const s = new EvidenceStream('fl.txt');
      s.push(text.subarray(0, cut));
      s.push(text.subarray(cut));
      expect(s.end(), `cut at ${cut}`).toEqual(whole);
    }
  });
});
