// Builds the binary fixtures of this folder to the documented header layouts (see ../dump-header.ts and
// ../minidump.ts). Run `node harness/detect/windows/testdata/gen-dumps.mjs` to rewrite them; the tests
// check that the committed files equal what this produces.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** A buffer filled with the "PAGE" pattern, as the dump writer leaves unset header fields. */
function pageFilled(size) {
  const b = Buffer.alloc(size);
  for (let i = 0; i + 4 <= size; i += 4) b.write('PAGE', i, 'latin1');
  return b;
}

/** DUMP_HEADER64: 0x2000 bytes, "PAGE" "DU64". */
export function dumpHeader64({
  code = 0x50,
  params = [0xffff9a8b12345a18n, 0x2n, 0xfffff80012345678n, 0x2n],
  dumpType = 2,
  processors = 2,
  machine = 0x8664,
  build = 19041,
  size = 0x2000,
} = {}) {
  const b = pageFilled(Math.max(size, 0x2000));
  b.write('DU64', 4, 'latin1');
  b.writeUInt32LE(0xf, 0x08); // MajorVersion: free build
  b.writeUInt32LE(build, 0x0c); // MinorVersion: build number
  b.writeBigUInt64LE(0x1aa000n, 0x10); // DirectoryTableBase
  b.writeBigUInt64LE(0xfffff80013a0b000n, 0x18); // PfnDataBase
  b.writeBigUInt64LE(0xfffff80012c2a0b0n, 0x20); // PsLoadedModuleList
  b.writeBigUInt64LE(0xfffff80012c1e7c0n, 0x28); // PsActiveProcessHead
  b.writeUInt32LE(machine, 0x30);
  b.writeUInt32LE(processors, 0x34);
  b.writeUInt32LE(code, 0x38);
  params.forEach((p, i) => b.writeBigUInt64LE(BigInt(p), 0x40 + 8 * i));
  b.writeUInt32LE(dumpType, 0xf98);
  return b.subarray(0, size);
}

/** DUMP_HEADER32: 0x1000 bytes, "PAGE" "DUMP". */
export function dumpHeader32({
  code = 0xd1,
  params = [0x00000004, 0x2, 0x0, 0x8a3c1d2e],
  dumpType = 1,
  processors = 1,
  machine = 0x14c,
  build = 2600,
  size = 0x1000,
} = {}) {
  const b = pageFilled(Math.max(size, 0x1000));
  b.write('DUMP', 4, 'latin1');
  b.writeUInt32LE(0xf, 0x08);
  b.writeUInt32LE(build, 0x0c);
  b.writeUInt32LE(0x00039000, 0x10); // DirectoryTableBase
  b.writeUInt32LE(0x81000000, 0x14); // PfnDataBase
  b.writeUInt32LE(0x8055b1c0, 0x18); // PsLoadedModuleList
  b.writeUInt32LE(0x8055b1d8, 0x1c); // PsActiveProcessHead
  b.writeUInt32LE(machine, 0x20);
  b.writeUInt32LE(processors, 0x24);
  b.writeUInt32LE(code, 0x28);
  params.forEach((p, i) => b.writeUInt32LE(Number(p), 0x2c + 4 * i));
  b.writeUInt32LE(dumpType, 0xf88);
  return b.subarray(0, size);
}

/** A user-mode minidump with one exception stream. */
export function minidump({ exceptionCode = 0xc0000005, address = 0x7ff6a1b21234n, threadId = 4242 } = {}) {
  const header = 32;
  const dir = 12;
  const stream = 168; // MINIDUMP_EXCEPTION_STREAM
  const b = Buffer.alloc(header + dir + stream);
  b.write('MDMP', 0, 'latin1');
  b.writeUInt32LE(0x0000a793, 4); // MINIDUMP_VERSION
  b.writeUInt32LE(1, 8); // NumberOfStreams
  b.writeUInt32LE(header, 12); // StreamDirectoryRva
  b.writeUInt32LE(0, 16); // CheckSum
  b.writeUInt32LE(1700000000, 20); // TimeDateStamp
  b.writeBigUInt64LE(0x0n, 24); // Flags: MiniDumpNormal
  b.writeUInt32LE(6, header); // ExceptionStream
  b.writeUInt32LE(stream, header + 4);
  b.writeUInt32LE(header + dir, header + 8);
  const s = header + dir;
  b.writeUInt32LE(threadId, s);
  b.writeUInt32LE(exceptionCode, s + 8);
  b.writeBigUInt64LE(address, s + 24); // ExceptionAddress
  b.writeUInt32LE(2, s + 32); // NumberParameters
  return b;
}

export const FIXTURES = {
  'kernel-du64-0x50.dmp': () => dumpHeader64(),
  'kernel-dump32-0xd1.dmp': () => dumpHeader32(),
  'user-minidump.dmp': () => minidump(),
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const [name, make] of Object.entries(FIXTURES)) writeFileSync(join(here, name), make());
}
