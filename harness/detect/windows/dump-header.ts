/**
 * The header of a Windows kernel crash dump (MEMORY.DMP, and the small dumps in C:\Windows\Minidump,
 * which are the same format with DumpType 4 "triage").
 *
 * 64-bit, DUMP_HEADER64, 0x2000 bytes, "PAGE" then "DU64" at offset 0 (from shared/notes/crash-capture.md):
 *   MachineImageType u32 @0x30, NumberProcessors u32 @0x34, BugCheckCode u32 @0x38,
 *   BugCheckParameter1..4 u64 @0x40 0x48 0x50 0x58, DumpType u32 @0xF98.
 *   Also checked against two public definitions (Volatility's crash-dump vtypes and rizin's dmp64 header).
 * 32-bit, DUMP_HEADER32, 0x1000 bytes, "PAGE" then "DUMP" (the notes only say "another layout"):
 *   Signature, ValidDump, MajorVersion, MinorVersion, DirectoryTableBase, PfnDataBase, PsLoadedModuleList,
 *   PsActiveProcessHead (8 x u32, 0x00-0x1C), then MachineImageType u32 @0x20, NumberProcessors u32 @0x24,
 *   BugCheckCode u32 @0x28, BugCheckParameter1..4 u32 @0x2C 0x30 0x34 0x38, DumpType u32 @0xF88.
 *   Verified against the same public definitions (Volatility, rizin) and the struct in MoonSols/Comae's
 *   Bin2Dmp dmp.h; all three agree. NOT verified against a Microsoft header (Microsoft does not publish
 *   DUMP_HEADER32 in its SDK/WDK documentation) nor against a real 32-bit dump file. Note: BugCheckCode is
 *   at 0x28, not 0x20 (0x20 is MachineImageType).
 * Common to both (own knowledge, consistent with those sources): MajorVersion u32 @0x08 (0xF free build,
 *   0xC checked), MinorVersion u32 @0x0C (the Windows build number). The dump writer fills the header with
 *   the "PAGE" pattern before writing fields, so a field still reading "PAGE" (0x45474150) was not written.
 * DumpType values: 1 full, 2 kernel, 4 triage (small memory dump), 5 bitmap full, 6 bitmap kernel (notes);
 *   3 header-only and 7 automatic are from rizin's list, not the notes.
 * MachineImageType values are the PE IMAGE_FILE_MACHINE_* constants (own knowledge).
 *
 * A user-mode minidump ("MDMP") is a different format: see minidump.ts (re-exported here).
 */
import type { CrashRecord } from '../../results/crash-record.js';
import { bugcheckRecord } from './bugcheck-record.js';
import { formatCode } from './bugcheck-names.js';

export { parseMinidump, isMinidump, minidumpHeaderProblem, type MinidumpInfo } from './minidump.js';

export const DUMP_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'full',
  2: 'kernel',
  3: 'header',
  4: 'triage',
  5: 'bitmap-full',
  6: 'bitmap-kernel',
  7: 'automatic',
};

export const MACHINE_NAMES: Readonly<Record<number, string>> = {
  0x014c: 'x86',
  0x8664: 'x64',
  0xaa64: 'arm64',
  0x01c4: 'arm',
};

/** "PAGE" read as a little-endian u32: the filler of fields the dump writer never set. */
export const PAGE_FILL = 0x45474150;

interface Layout {
  bits: 32 | 64;
  machine: number;
  processors: number;
  code: number;
  params: number[];
  paramSize: 4 | 8;
  dumpType: number;
  headerSize: number;
}

const LAYOUT64: Layout = {
  bits: 64,
  machine: 0x30,
  processors: 0x34,
  code: 0x38,
  params: [0x40, 0x48, 0x50, 0x58],
  paramSize: 8,
  dumpType: 0xf98,
  headerSize: 0x2000,
};

const LAYOUT32: Layout = {
  bits: 32,
  machine: 0x20,
  processors: 0x24,
  code: 0x28,
  params: [0x2c, 0x30, 0x34, 0x38],
  paramSize: 4,
  dumpType: 0xf88,
  headerSize: 0x1000,
};

export interface KernelDumpHeader {
  bits: 32 | 64;
  /** BugCheckCode. */
  code: number;
  /** BugCheckParameter1..4 (zero-extended to 64 bits for 32-bit dumps). */
  params: bigint[];
  /** DumpType, absent when the buffer ends before it. */
  dumpType?: number;
  dumpTypeName?: string;
  processors: number;
  /** MachineImageType (IMAGE_FILE_MACHINE_*) and its short name when known. */
  machine: number;
  machineName?: string;
  majorVersion: number;
  /** The Windows build number. */
  minorVersion: number;
  /** The buffer is shorter than the header: fields past its end are missing. */
  truncated: boolean;
}

export type KernelDumpResult =
  | { ok: true; header: KernelDumpHeader; record: CrashRecord }
  | { ok: false; reason: 'not-a-kernel-dump' | 'truncated' | 'no-bugcheck'; note: string };

/** 32 or 64 when the buffer starts with a kernel dump signature, else undefined. */
export function kernelDumpBits(buf: Buffer): 32 | 64 | undefined {
  if (buf.length < 8 || buf.toString('latin1', 0, 4) !== 'PAGE') return undefined;
  const valid = buf.toString('latin1', 4, 8);
  return valid === 'DU64' ? 64 : valid === 'DUMP' ? 32 : undefined;
}

const hex = (n: number) => `0x${n.toString(16).toUpperCase()}`;

/**
 * Why a buffer that starts with a kernel dump signature is not a dump header, undefined when it is
 * one (cut or whole). Eight bytes of magic are not enough: a text file may start with "PAGEDU64".
 * The dump writer sets these fields before anything else, so each holds a plausible value (or, for
 * the ones it may leave, the "PAGE" filler): MajorVersion 0xF (free build) or 0xC (checked build),
 * MinorVersion a build number, MachineImageType a PE machine (16 bits), NumberProcessors 1 to 4096,
 * DumpType a small number. Text fails at MajorVersion already (four printable characters).
 */
export function kernelDumpHeaderProblem(buf: Buffer): string | undefined {
  const bits = kernelDumpBits(buf);
  if (bits === undefined) return 'no PAGEDU64 / PAGEDUMP signature at offset 0';
  if (buf.length < 0x10) return `only ${buf.length} bytes, too few to check the header`;
  const major = buf.readUInt32LE(0x08);
  if (major !== 0xf && major !== 0xc) return `MajorVersion ${hex(major)} is neither 0xF nor 0xC`;
  const minor = buf.readUInt32LE(0x0c);
  if (minor === 0 || minor > 0xffff) return `MinorVersion ${minor} is no Windows build number`;
  const L = bits === 64 ? LAYOUT64 : LAYOUT32;
  const field = (off: number) => (buf.length >= off + 4 ? buf.readUInt32LE(off) : PAGE_FILL);
  const machine = field(L.machine);
  if (machine !== PAGE_FILL && machine > 0xffff) return `MachineImageType ${hex(machine)} is no PE machine type`;
  const cpus = field(L.processors);
  if (cpus !== PAGE_FILL && (cpus === 0 || cpus > 4096)) return `NumberProcessors ${cpus} is out of range`;
  const dumpType = field(L.dumpType);
  if (dumpType !== PAGE_FILL && (dumpType === 0 || dumpType > 0x10)) return `DumpType ${dumpType} is out of range`;
  return undefined;
}

/** Reads a kernel dump header and makes its CrashRecord. */
export function parseKernelDumpHeader(buf: Buffer): KernelDumpResult {
  const bits = kernelDumpBits(buf);
  if (bits === undefined) {
    return { ok: false, reason: 'not-a-kernel-dump', note: 'no PAGEDU64 / PAGEDUMP signature at offset 0' };
  }
  const L = bits === 64 ? LAYOUT64 : LAYOUT32;
  const lastParam = L.params[3] ?? 0;
  const needed = lastParam + L.paramSize;
  if (buf.length < needed) {
    return {
      ok: false,
      reason: 'truncated',
      note: `${bits}-bit dump header cut at ${buf.length} bytes: the bugcheck code and parameters need ${needed}`,
    };
  }
  const code = buf.readUInt32LE(L.code);
  if (code === PAGE_FILL || code === 0) {
    return {
      ok: false,
      reason: 'no-bugcheck',
      note: `BugCheckCode is ${code === 0 ? '0' : 'unset ("PAGE" filler)'}: no bugcheck in this dump header`,
    };
  }
  const params = L.params.map((off) => (L.paramSize === 8 ? buf.readBigUInt64LE(off) : BigInt(buf.readUInt32LE(off))));
  const machine = buf.readUInt32LE(L.machine);
  const header: KernelDumpHeader = {
    bits,
    code,
    params,
    processors: buf.readUInt32LE(L.processors),
    machine,
    majorVersion: buf.readUInt32LE(0x08),
    minorVersion: buf.readUInt32LE(0x0c),
    truncated: buf.length < L.headerSize,
  };
  const machineName = MACHINE_NAMES[machine];
  if (machineName) header.machineName = machineName;
  if (buf.length >= L.dumpType + 4) {
    const dumpType = buf.readUInt32LE(L.dumpType);
    if (dumpType !== PAGE_FILL) {
      header.dumpType = dumpType;
      const name = DUMP_TYPE_NAMES[dumpType];
      if (name) header.dumpTypeName = name;
    }
  }
  const excerpt = [
    `${bits === 64 ? 'PAGEDU64' : 'PAGEDUMP'} dump header: BugCheckCode=${formatCode(code)}`,
    `DumpType=${header.dumpType ?? '?'}${header.dumpTypeName ? ` (${header.dumpTypeName})` : ''}`,
    `MachineImageType=0x${machine.toString(16)}${machineName ? ` (${machineName})` : ''}`,
    `NumberProcessors=${header.processors}`,
    `build ${header.minorVersion}`,
  ].join(', ');
  // The dump's driver list (triage data) would name the guilty module; reading it is beyond the header.
  const record = bugcheckRecord({
    code,
    params,
    source: 'dump',
    excerpt,
    // Only a cut before DumpType loses something this parser reads.
    corrupted: buf.length < L.dumpType + 4,
  });
  return { ok: true, header, record };
}
