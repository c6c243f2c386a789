import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../util/errors.js';
import { checkVermagic, elfSection, parseModinfoSection, readModinfo, vermagicRelease } from './modinfo.js';

/** A minimal ELF relocatable object with a null section, the given sections and .shstrtab. */
function makeElf(sections: Record<string, Buffer>, opts: { is64?: boolean; le?: boolean } = {}): Buffer {
  const is64 = opts.is64 ?? true;
  const le = opts.le ?? true;
  const ehsize = is64 ? 64 : 52;
  const shentsize = is64 ? 64 : 40;
  const names = [...Object.keys(sections), '.shstrtab'];
  const shstrtab = Buffer.from(`\0${names.join('\0')}\0`, 'latin1');
  const nameOff = (n: string) => shstrtab.indexOf(Buffer.from(`\0${n}\0`, 'latin1')) + 1;
  const bodies = [...Object.values(sections), shstrtab];
  let off = ehsize;
  const placed = bodies.map((b) => {
    const at = off;
    off += b.length;
    return at;
  });
  const shoff = (off + 7) & ~7;
  const out = Buffer.alloc(shoff + shentsize * (bodies.length + 1));
  const w16 = (v: number, at: number) => (le ? out.writeUInt16LE(v, at) : out.writeUInt16BE(v, at));
  const w32 = (v: number, at: number) => (le ? out.writeUInt32LE(v, at) : out.writeUInt32BE(v, at));
  const wword = (v: number, at: number) =>
    is64 ? (le ? out.writeBigUInt64LE(BigInt(v), at) : out.writeBigUInt64BE(BigInt(v), at)) : w32(v, at);
  out.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1], 0);
  w16(1, 16); // ET_REL
  wword(shoff, is64 ? 0x28 : 0x20);
  w16(shentsize, is64 ? 0x3a : 0x2e);
  w16(bodies.length + 1, is64 ? 0x3c : 0x30);
  w16(bodies.length, is64 ? 0x3e : 0x32);
  bodies.forEach((b, i) => {
    b.copy(out, placed[i]!);
    const sh = shoff + shentsize * (i + 1);
    w32(nameOff(names[i]!), sh);
    w32(i === bodies.length - 1 ? 3 : 1, sh + 4); // SHT_STRTAB / SHT_PROGBITS
    wword(placed[i]!, sh + (is64 ? 24 : 16));
    wword(b.length, sh + (is64 ? 32 : 20));
  });
  return out;
}

const MODINFO = Buffer.from(
  'version=2.1.0\0description=test\0license=GPL\0\0\0parm=content:path (charp)\0parm=version:ro\0' +
    'depends=\0retpoline=Y\0name=sensor\0vermagic=6.1.0-56-amd64 SMP preempt mod_unload modversions \0',
);

describe('readModinfo', () => {
  it('reads .modinfo of a 64-bit little-endian module, keeping repeated keys', () => {
    const info = readModinfo(makeElf({ '.text': Buffer.from([0xc3]), '.modinfo': MODINFO }));
    expect(info.vermagic).toEqual(['6.1.0-56-amd64 SMP preempt mod_unload modversions ']);
    expect(info.name).toEqual(['sensor']);
    expect(info.parm).toEqual(['content:path (charp)', 'version:ro']);
    expect(info.depends).toEqual(['']);
  });

  it('reads 32-bit and big-endian objects', () => {
    for (const o of [{ is64: false, le: true }, { is64: true, le: false }, { is64: false, le: false }]) {
      expect(readModinfo(makeElf({ '.modinfo': MODINFO }, o)).version).toEqual(['2.1.0']);
    }
  });

  it('rejects non-ELF input and objects without .modinfo', () => {
    expect(() => readModinfo(Buffer.from('#!/bin/sh\necho not a module\n'.padEnd(80)))).toThrow(/not an ELF/);
    expect(() => readModinfo(makeElf({ '.text': Buffer.from([0xc3]) }))).toThrow(/no \.modinfo/);
    expect([...elfSection(makeElf({ '.text': Buffer.from([0xc3]) }), '.text')!]).toEqual([0xc3]);
    expect(elfSection(makeElf({ '.text': Buffer.from([0xc3]) }), '.data')).toBeUndefined();
  });

  it('rejects truncated files instead of reading garbage', () => {
    const elf = makeElf({ '.modinfo': MODINFO });
    expect(() => readModinfo(elf.subarray(0, elf.length - 40))).toThrow(/beyond end of file/);
  });

  it('parses a section with padding and values containing =', () => {
    expect(parseModinfoSection(Buffer.from('\0\0a=b=c\0junk\0'))).toEqual({ a: ['b=c'] });
  });
});

describe('checkVermagic', () => {
  it('accepts a vermagic whose first word is the release', () => {
    const v = '6.1.0-56-amd64 SMP preempt mod_unload modversions ';
    expect(vermagicRelease(v)).toBe('6.1.0-56-amd64');
    expect(checkVermagic(v, '6.1.0-56-amd64', 'sensor.ko')).toBe(v);
  });

  it('fails with a ConfigError on another release, even a prefix of it', () => {
    for (const v of ['6.1.0-55-amd64 SMP preempt mod_unload modversions ', '6.1.0-56-amd64-rt SMP', '6.1.0-56 SMP']) {
      let err: unknown;
      try {
        checkVermagic(v, '6.1.0-56-amd64', 'sensor.ko');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).code).toBe('KMOD_VERMAGIC_MISMATCH');
      expect((err as ConfigError).message).toContain('not for 6.1.0-56-amd64');
    }
  });

  it('fails when there is no vermagic at all', () => {
    expect(() => checkVermagic(undefined, '6.1.0-56-amd64', 'x.ko')).toThrow(/no vermagic/);
  });
});
