/**
 * User-mode minidumps: files that start with "MDMP" (MINIDUMP_HEADER, dbghelp's MiniDumpWriteDump and
 * Windows Error Reporting's user-mode reports).
 *
 * They hold no kernel bugcheck: the small kernel dumps that Windows writes to C:\Windows\Minidump after a
 * bugcheck are kernel dump files ("PAGEDU64"/"PAGEDUMP" with DumpType 4, triage), read by dump-header.ts.
 * So a minidump gives no CrashRecord here; what can be read is returned, with a note saying so.
 *
 * Layout (from minidumpapiset.h of the Windows SDK, as published):
 *   MINIDUMP_HEADER (32 bytes): Signature u32 'MDMP', Version u32 (low 16 bits MINIDUMP_VERSION 0xA793),
 *     NumberOfStreams u32, StreamDirectoryRva u32, CheckSum u32, TimeDateStamp u32, Flags u64.
 *   MINIDUMP_DIRECTORY (12 bytes each): StreamType u32, DataSize u32, Rva u32.
 *   ExceptionStream (type 6), MINIDUMP_EXCEPTION_STREAM: ThreadId u32, pad u32, then MINIDUMP_EXCEPTION:
 *     ExceptionCode u32 @+8, ExceptionFlags u32 @+12, ExceptionRecord u64 @+16, ExceptionAddress u64 @+24.
 */

export interface MinidumpInfo {
  kind: 'minidump';
  /** Always false: no bugcheck can be read from this format. */
  supported: false;
  note: string;
  version?: number;
  streams?: number[];
  timeDateStamp?: number;
  flags?: bigint;
  /** The user-mode exception that triggered the dump, when it has an exception stream. */
  exception?: { threadId: number; code: number; address: bigint };
  truncated: boolean;
}

const HEADER_SIZE = 32;
const DIR_ENTRY = 12;
const EXCEPTION_STREAM = 6;

export function isMinidump(buf: Buffer): boolean {
  return buf.length >= 4 && buf.toString('latin1', 0, 4) === 'MDMP';
}

/** MINIDUMP_VERSION, the low half of the Version field of every minidump. */
const MINIDUMP_VERSION = 0xa793;

/**
 * Why a buffer that starts with "MDMP" is not a minidump header, undefined when it is one. Four bytes
 * of magic are not enough (a text file may start with them): the version must be MINIDUMP_VERSION and
 * the stream directory must lie after the 32-byte header.
 */
export function minidumpHeaderProblem(buf: Buffer): string | undefined {
  if (!isMinidump(buf)) return 'no MDMP signature at offset 0';
  if (buf.length < 16) return `only ${buf.length} bytes, too few to check the header`;
  const version = buf.readUInt32LE(4) & 0xffff;
  if (version !== MINIDUMP_VERSION) return `Version 0x${version.toString(16)} is not MINIDUMP_VERSION (0xa793)`;
  const streams = buf.readUInt32LE(8);
  if (streams > 0xffff) return `NumberOfStreams ${streams} is out of range`;
  const dirRva = buf.readUInt32LE(12);
  if (dirRva < HEADER_SIZE && !(streams === 0 && dirRva === 0)) return `StreamDirectoryRva ${dirRva} lies inside the header`;
  return undefined;
}

/** Reads what a minidump offers; undefined when the buffer is not one. */
export function parseMinidump(buf: Buffer): MinidumpInfo | undefined {
  if (!isMinidump(buf)) return undefined;
  const base =
    'user-mode minidump (MDMP): unsupported as bugcheck evidence; kernel small dumps are PAGEDU64/PAGEDUMP files';
  if (buf.length < HEADER_SIZE) {
    return { kind: 'minidump', supported: false, note: `${base}; header cut at ${buf.length} bytes`, truncated: true };
  }
  const count = buf.readUInt32LE(8);
  const dirRva = buf.readUInt32LE(12);
  const info: MinidumpInfo = {
    kind: 'minidump',
    supported: false,
    note: base,
    version: buf.readUInt32LE(4) & 0xffff,
    timeDateStamp: buf.readUInt32LE(20),
    flags: buf.readBigUInt64LE(24),
    streams: [],
    truncated: false,
  };
  for (let i = 0; i < count; i++) {
    const at = dirRva + i * DIR_ENTRY;
    if (at + DIR_ENTRY > buf.length) {
      info.truncated = true;
      break;
    }
    const type = buf.readUInt32LE(at);
    info.streams?.push(type);
    if (type !== EXCEPTION_STREAM) continue;
    const size = buf.readUInt32LE(at + 4);
    const rva = buf.readUInt32LE(at + 8);
    if (size < 32 || rva + 32 > buf.length) {
      info.truncated = true;
      continue;
    }
    info.exception = {
      threadId: buf.readUInt32LE(rva),
      code: buf.readUInt32LE(rva + 8),
      address: buf.readBigUInt64LE(rva + 24),
    };
  }
  if (info.exception) {
    info.note += `; user-mode exception 0x${info.exception.code.toString(16).toUpperCase().padStart(8, '0')}`;
  }
  if (info.truncated) info.note += '; stream directory cut';
  return info;
}
