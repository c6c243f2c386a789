import { ConfigError } from '../../util/errors.js';

/**
 * Reading a kernel module's `.modinfo` section straight from the .ko (an ELF relocatable
 * object), so checking a build needs no host tool. `modinfo -F vermagic x.ko` prints the
 * same value.
 */

export type Modinfo = Record<string, string[]>;

class ElfReader {
  private readonly view: DataView;
  readonly is64: boolean;
  readonly le: boolean;
  constructor(readonly buf: Uint8Array) {
    if (buf.length < 0x34 || buf[0] !== 0x7f || buf[1] !== 0x45 || buf[2] !== 0x4c || buf[3] !== 0x46) {
      throw new Error('not an ELF file');
    }
    if (buf[4] !== 1 && buf[4] !== 2) throw new Error(`unknown ELF class ${buf[4]}`);
    if (buf[5] !== 1 && buf[5] !== 2) throw new Error(`unknown ELF data encoding ${buf[5]}`);
    this.is64 = buf[4] === 2;
    this.le = buf[5] === 1;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private check(off: number, len: number): void {
    if (off < 0 || off + len > this.buf.length) throw new Error(`ELF read at ${off}+${len} beyond end of file (${this.buf.length} bytes)`);
  }
  u16(off: number): number {
    this.check(off, 2);
    return this.view.getUint16(off, this.le);
  }
  u32(off: number): number {
    this.check(off, 4);
    return this.view.getUint32(off, this.le);
  }
  /** An address-sized field; offsets and sizes in a .ko are far below 2^53. */
  word(off: number): number {
    if (!this.is64) return this.u32(off);
    this.check(off, 8);
    const v = this.view.getBigUint64(off, this.le);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`ELF field at ${off} too large`);
    return Number(v);
  }
  cstr(off: number): string {
    this.check(off, 1);
    const end = this.buf.indexOf(0, off);
    return Buffer.from(this.buf.subarray(off, end < 0 ? this.buf.length : end)).toString('latin1');
  }
}

/** The raw bytes of the named section, or undefined when the file has no such section. */
export function elfSection(buf: Uint8Array, name: string): Uint8Array | undefined {
  const elf = new ElfReader(buf);
  const shoff = elf.word(elf.is64 ? 0x28 : 0x20);
  const shentsize = elf.u16(elf.is64 ? 0x3a : 0x2e);
  const shnum = elf.u16(elf.is64 ? 0x3c : 0x30);
  const shstrndx = elf.u16(elf.is64 ? 0x3e : 0x32);
  if (shoff === 0 || shnum === 0) return undefined;
  if (shstrndx >= shnum) throw new Error(`bad section-name table index ${shstrndx}`);
  const header = (i: number) => {
    const at = shoff + i * shentsize;
    return elf.is64
      ? { name: elf.u32(at), type: elf.u32(at + 4), offset: elf.word(at + 24), size: elf.word(at + 32) }
      : { name: elf.u32(at), type: elf.u32(at + 4), offset: elf.word(at + 16), size: elf.word(at + 20) };
  };
  const strtab = header(shstrndx);
  for (let i = 0; i < shnum; i++) {
    const sh = header(i);
    if (elf.cstr(strtab.offset + sh.name) !== name) continue;
    if (sh.type === 8 /* SHT_NOBITS */) return new Uint8Array(0);
    if (sh.offset + sh.size > buf.length) throw new Error(`section ${name} extends beyond end of file`);
    return buf.subarray(sh.offset, sh.offset + sh.size);
  }
  return undefined;
}

/** `key=value` strings separated by NULs (with alignment padding) into key -> values. */
export function parseModinfoSection(section: Uint8Array): Modinfo {
  const info: Modinfo = {};
  for (const entry of Buffer.from(section).toString('utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq <= 0) continue;
    const key = entry.slice(0, eq);
    (info[key] ??= []).push(entry.slice(eq + 1));
  }
  return info;
}

/** The .modinfo of a .ko file's bytes; throws when the file is not an ELF object with one. */
export function readModinfo(ko: Uint8Array): Modinfo {
  const section = elfSection(ko, '.modinfo');
  if (!section) throw new Error('no .modinfo section (not a kernel module?)');
  return parseModinfoSection(section);
}

/** The kernel release a vermagic string was built for: its first word. */
export function vermagicRelease(vermagic: string): string {
  return vermagic.trim().split(/\s+/)[0] ?? '';
}

/**
 * A module whose vermagic names another kernel release is refused by that kernel
 * (`disagrees about version of symbol` / `invalid module format`): a configuration
 * mistake to report, not a build to ship.
 */
export function checkVermagic(vermagic: string | undefined, kernelRelease: string, koPath: string): string {
  if (!vermagic) {
    throw new ConfigError('KMOD_VERMAGIC_MISSING', `${koPath} has no vermagic in its .modinfo: it is not a loadable kernel module`, { file: koPath });
  }
  const built = vermagicRelease(vermagic);
  if (built !== kernelRelease) {
    throw new ConfigError(
      'KMOD_VERMAGIC_MISMATCH',
      `${koPath} was built for kernel ${built || '(empty)'} (vermagic "${vermagic.trim()}"), not for ${kernelRelease}: the guest kernel would refuse to load it; build it against the headers of ${kernelRelease}`,
      { file: koPath, field: 'vermagic' },
    );
  }
  return vermagic;
}
