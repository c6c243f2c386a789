import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { signatureOf } from '../../results/crash-record.js';
import { kernelDumpBits, kernelDumpHeaderProblem, minidumpHeaderProblem, parseKernelDumpHeader, parseMinidump, PAGE_FILL } from './dump-header.js';
// @ts-expect-error: plain JS fixture generator (no type declarations)
import { dumpHeader32, dumpHeader64, FIXTURES, minidump } from '../../../test/fixtures/windows-dumps.mjs';

const fixture = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url));
type Gen = (opts?: Record<string, unknown>) => Buffer;
const gen64 = dumpHeader64 as Gen;
const gen32 = dumpHeader32 as Gen;

describe('committed binary fixtures', () => {
  it.each(Object.keys(FIXTURES as object))('%s equals the generator output', (name) => {
    expect(fixture(name).equals((FIXTURES as Record<string, () => Buffer>)[name]!())).toBe(true);
  });
});

describe('DUMP_HEADER64 (PAGEDU64)', () => {
  it('reads code, parameters, dump type, processors and machine at the documented offsets', () => {
    const buf = fixture('kernel-du64-0x50.dmp');
    // The layout itself, independent of the parser: "PAGE" "DU64", code u32 @0x38, P1 u64 @0x40, DumpType @0xF98.
    expect(buf.toString('latin1', 0, 8)).toBe('PAGEDU64');
    expect(buf.readUInt32LE(0x38)).toBe(0x50);
    expect(buf.readBigUInt64LE(0x40)).toBe(0xffff9a8b12345a18n);
    expect(buf.readUInt32LE(0xf98)).toBe(2);

    const r = parseKernelDumpHeader(buf);
    if (!r.ok) throw new Error(r.note);
    expect(r.header).toEqual({
      bits: 64,
      code: 0x50,
      params: [0xffff9a8b12345a18n, 2n, 0xfffff80012345678n, 2n],
      dumpType: 2,
      dumpTypeName: 'kernel',
      processors: 2,
      machine: 0x8664,
      machineName: 'x64',
      majorVersion: 0xf,
      minorVersion: 19041,
      truncated: false,
    });
    expect(r.record).toMatchObject({
      os: 'windows',
      source: 'dump',
      class: 'bugcheck',
      code: '0x00000050',
      name: 'PAGE_FAULT_IN_NONPAGED_AREA',
      title: 'PAGE_FAULT_IN_NONPAGED_AREA',
      params: ['0xFFFF9A8B12345A18', '0x0000000000000002', '0xFFFFF80012345678', '0x0000000000000002'],
      signature: signatureOf('PAGE_FAULT_IN_NONPAGED_AREA'),
    });
    expect(r.record.corrupted).toBeUndefined();
    expect(r.record.excerpt).toContain('DumpType=2 (kernel)');
  });

  it('reads a 4 KiB copy of the header completely (every field it reads is below 0x1000)', () => {
    const r = parseKernelDumpHeader(fixture('kernel-du64-0x50.dmp').subarray(0, 0x1000));
    if (!r.ok) throw new Error(r.note);
    expect(r.header.dumpType).toBe(2);
    expect(r.header.truncated).toBe(true);
    expect(r.record.corrupted).toBeUndefined();
  });

  it('names the triage type of C:\\Windows\\Minidump files and arm64', () => {
    const r = parseKernelDumpHeader(gen64({ code: 0x133, dumpType: 4, machine: 0xaa64, processors: 8 }));
    if (!r.ok) throw new Error(r.note);
    expect(r.header).toMatchObject({ dumpType: 4, dumpTypeName: 'triage', machineName: 'arm64', processors: 8 });
    expect(r.record.title).toBe('DPC_WATCHDOG_VIOLATION');
  });

  it('keeps code and parameters from a header cut before DumpType, marked corrupted', () => {
    const r = parseKernelDumpHeader(fixture('kernel-du64-0x50.dmp').subarray(0, 0x100));
    if (!r.ok) throw new Error(r.note);
    expect(r.header.dumpType).toBeUndefined();
    expect(r.record.code).toBe('0x00000050');
    expect(r.record.corrupted).toBe(true);
  });

  it('refuses a header cut before the parameters', () => {
    const r = parseKernelDumpHeader(fixture('kernel-du64-0x50.dmp').subarray(0, 0x50));
    expect(r).toMatchObject({ ok: false, reason: 'truncated' });
    expect(parseKernelDumpHeader(Buffer.from('PAGEDU64'))).toMatchObject({ ok: false, reason: 'truncated' });
  });

  it('refuses a wrong magic', () => {
    const buf = Buffer.from(fixture('kernel-du64-0x50.dmp'));
    buf.write('DU32', 4, 'latin1');
    expect(parseKernelDumpHeader(buf)).toMatchObject({ ok: false, reason: 'not-a-kernel-dump' });
    buf.write('EGAPDU64', 0, 'latin1');
    expect(kernelDumpBits(buf)).toBeUndefined();
    expect(parseKernelDumpHeader(Buffer.alloc(0))).toMatchObject({ ok: false, reason: 'not-a-kernel-dump' });
  });

  it('says when the code field was never written (PAGE filler) or is zero', () => {
    expect(parseKernelDumpHeader(gen64({ code: PAGE_FILL }))).toMatchObject({ ok: false, reason: 'no-bugcheck' });
    expect(parseKernelDumpHeader(gen64({ code: 0 }))).toMatchObject({ ok: false, reason: 'no-bugcheck' });
  });
});

describe('DUMP_HEADER32 (PAGEDUMP)', () => {
  it('reads BugCheckCode @0x28 and u32 parameters @0x2C..0x38, DumpType @0xF88', () => {
    const buf = fixture('kernel-dump32-0xd1.dmp');
    expect(buf.toString('latin1', 0, 8)).toBe('PAGEDUMP');
    expect(buf.readUInt32LE(0x28)).toBe(0xd1);
    const r = parseKernelDumpHeader(buf);
    if (!r.ok) throw new Error(r.note);
    expect(r.header).toEqual({
      bits: 32,
      code: 0xd1,
      params: [4n, 2n, 0n, 0x8a3c1d2en],
      dumpType: 1,
      dumpTypeName: 'full',
      processors: 1,
      machine: 0x14c,
      machineName: 'x86',
      majorVersion: 0xf,
      minorVersion: 2600,
      truncated: false,
    });
    expect(r.record).toMatchObject({
      code: '0x000000D1',
      title: 'DRIVER_IRQL_NOT_LESS_OR_EQUAL',
      params: ['0x0000000000000004', '0x0000000000000002', '0x0000000000000000', '0x000000008A3C1D2E'],
    });
  });

  it('does not read the 32-bit header with the 64-bit layout (code is not at 0x38)', () => {
    const r = parseKernelDumpHeader(gen32({ code: 0x7f, params: [8, 0x80042000, 0, 0] }));
    if (!r.ok) throw new Error(r.note);
    expect(r.record.title).toBe('UNEXPECTED_KERNEL_MODE_TRAP');
    expect(r.header.params[0]).toBe(8n);
  });

  it('refuses a truncated 32-bit header', () => {
    expect(parseKernelDumpHeader(fixture('kernel-dump32-0xd1.dmp').subarray(0, 0x30))).toMatchObject({ ok: false, reason: 'truncated' });
  });
});

describe('minidump (MDMP)', () => {
  it('says it is a user-mode minidump, unsupported as bugcheck evidence, and reads its exception', () => {
    const m = parseMinidump(fixture('user-minidump.dmp'))!;
    expect(m).toMatchObject({
      kind: 'minidump',
      supported: false,
      version: 0xa793,
      streams: [6],
      exception: { threadId: 4242, code: 0xc0000005, address: 0x7ff6a1b21234n },
      truncated: false,
    });
    expect(m.note).toMatch(/unsupported/);
    expect(m.note).toContain('0xC0000005');
  });

  it('handles a cut minidump and refuses other files', () => {
    const full = (minidump as Gen)();
    expect(parseMinidump(full.subarray(0, 16))).toMatchObject({ kind: 'minidump', truncated: true });
    expect(parseMinidump(full.subarray(0, 40))).toMatchObject({ truncated: true, streams: [] });
    expect(parseMinidump(fixture('kernel-du64-0x50.dmp'))).toBeUndefined();
  });
});

describe('header validation: a dump by its header, not by its magic bytes', () => {
  it('passes the committed dumps, generated ones, and a header cut after its version fields', () => {
    expect(kernelDumpHeaderProblem(fixture('kernel-du64-0x50.dmp'))).toBeUndefined();
    expect(kernelDumpHeaderProblem(fixture('kernel-dump32-0xd1.dmp'))).toBeUndefined();
    expect(kernelDumpHeaderProblem(gen64({ code: 0x133, dumpType: 4, machine: 0xaa64, processors: 8 }))).toBeUndefined();
    expect(kernelDumpHeaderProblem(fixture('kernel-du64-0x50.dmp').subarray(0, 0x20))).toBeUndefined();
    expect(minidumpHeaderProblem(fixture('user-minidump.dmp'))).toBeUndefined();
  });

  it('fails text that starts with the magic, and headers with impossible fields', () => {
    expect(kernelDumpHeaderProblem(Buffer.from('PAGEDU64 console of a test run\n'))).toMatch(/MajorVersion/);
    expect(kernelDumpHeaderProblem(Buffer.from('PAGEDUMP'))).toMatch(/too few/);
    expect(kernelDumpHeaderProblem(gen64({ processors: 0 }))).toMatch(/NumberProcessors 0/);
    expect(kernelDumpHeaderProblem(gen64({ machine: 0x41414141 }))).toMatch(/MachineImageType/);
    expect(kernelDumpHeaderProblem(gen32({ dumpType: 0x20202020 }))).toMatch(/DumpType/);
    expect(kernelDumpHeaderProblem(gen64({ build: 0 }))).toMatch(/MinorVersion/);
    expect(minidumpHeaderProblem(Buffer.from('MDMP test harness banner\n'))).toMatch(/MINIDUMP_VERSION/);
    const badRva = (minidump as Gen)();
    badRva.writeUInt32LE(8, 12);
    expect(minidumpHeaderProblem(badRva)).toMatch(/StreamDirectoryRva/);
  });
});
