import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bzImagePayload, ensurePvhKernel, hasPvhNote, NoPvhEntry } from './pvh-kernel.js';

/** A 64-bit ELF with one PT_NOTE segment holding the given notes (name, type). */
function elfWithNotes(notes: Array<[string, number]>): Buffer {
  const bodies = notes.map(([name, type]) => {
    const n = Buffer.from(name + '\0');
    const nameLen = (n.length + 3) & ~3;
    const b = Buffer.alloc(12 + nameLen + 8);
    b.writeUInt32LE(n.length, 0);
    b.writeUInt32LE(8, 4);
    b.writeUInt32LE(type, 8);
    n.copy(b, 12);
    return b;
  });
  const noteData = Buffer.concat(bodies);
  const head = Buffer.alloc(64 + 56);
  head.writeUInt32BE(0x7f454c46, 0);
  head[4] = 2; // 64-bit
  head[5] = 1; // little-endian
  head.writeBigUInt64LE(64n, 0x20); // phoff
  head.writeUInt16LE(56, 0x36);
  head.writeUInt16LE(1, 0x38);
  head.writeUInt32LE(4, 64); // PT_NOTE
  // Put the notes far from the headers, as in a real vmlinux.
  const noteOffset = 8192;
  head.writeBigUInt64LE(BigInt(noteOffset), 64 + 8);
  head.writeBigUInt64LE(BigInt(noteData.length), 64 + 32);
  const elf = Buffer.alloc(noteOffset + noteData.length);
  head.copy(elf);
  noteData.copy(elf, noteOffset);
  return elf;
}

/** A bzImage-shaped file: set-up header fields of boot protocol 2.15, then a gzip payload with the size appended. */
function bzImageOf(kernel: Buffer, version = 0x20f): Buffer {
  const setupSects = 3;
  const pm = (setupSects + 1) * 512;
  const payload = Buffer.concat([gzipSync(kernel), Buffer.from([kernel.length & 0xff, (kernel.length >> 8) & 0xff, (kernel.length >> 16) & 0xff, kernel.length >>> 24])]);
  const b = Buffer.alloc(pm + 300 + payload.length);
  b.writeUInt8(setupSects, 0x1f1);
  b.write('HdrS', 0x202, 'latin1');
  b.writeUInt16LE(version, 0x206);
  b.writeUInt32LE(300, 0x248);
  b.writeUInt32LE(payload.length, 0x24c);
  payload.copy(b, pm + 300);
  return b;
}

describe('PVH kernels', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bootgate-pvh-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds the payload from the set-up header and names its compression', () => {
    const b = bzImageOf(elfWithNotes([['Xen', 18]]));
    expect(bzImagePayload(b)).toMatchObject({ offset: 4 * 512 + 300, compression: 'gzip' });
  });

  it('refuses files that are not bzImages, or too old to say where the payload is', () => {
    expect(() => bzImagePayload(Buffer.alloc(4096))).toThrow(NoPvhEntry);
    expect(() => bzImagePayload(bzImageOf(elfWithNotes([]), 0x206))).toThrow(/2\.06 has no payload fields/);
  });

  it('tells the PVH entry note from the other Xen notes', () => {
    expect(hasPvhNote(elfWithNotes([['Xen', 6], ['Xen', 18]]))).toBe(true);
    expect(hasPvhNote(elfWithNotes([['Xen', 6], ['GNU', 18]]))).toBe(false);
    expect(hasPvhNote(Buffer.from('not an elf at all, just text'))).toBe(false);
  });

  it('unpacks the kernel once, and refuses one without a PVH entry', async () => {
    const elf = elfWithNotes([['Xen', 5], ['Xen', 18]]);
    await writeFile(join(dir, 'vmlinuz'), bzImageOf(elf));
    const out = await ensurePvhKernel(join(dir, 'vmlinuz'), join(dir, 'vmlinux.pvh'));
    expect(Buffer.compare(await readFile(out), elf)).toBe(0);

    await writeFile(join(dir, 'plain'), bzImageOf(elfWithNotes([['Xen', 5]])));
    await expect(ensurePvhKernel(join(dir, 'plain'), join(dir, 'plain.pvh'))).rejects.toThrow(/no PVH entry point/);
  });
});
