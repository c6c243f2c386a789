import { spawn } from 'node:child_process';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { AbortedError, LabError } from '../util/errors.js';

/**
 * The kernel inside an x86 bzImage, as the ELF file QEMU can start at its PVH entry point.
 *
 * A bzImage is real-mode set-up code, a decompressor and the compressed kernel. Under TCG the
 * decompressor is a large part of a boot (xz over ~65 MB, emulated instruction by instruction);
 * a kernel built with CONFIG_PVH carries a Xen ELF note with a 32-bit entry point, where QEMU's
 * `-kernel` starts an ELF directly. Same kernel, same command line and initramfs: only the
 * set-up and the decompression are skipped.
 */

/** Where the compressed kernel sits in a bzImage, from its set-up header (boot protocol 2.08+). */
export interface BzImagePayload {
  offset: number;
  length: number;
  compression: 'gzip' | 'xz' | 'zstd' | 'lzma' | 'bzip2' | 'lzo' | 'lz4' | 'unknown';
}

/** Why a kernel has no PVH entry to use, said as the reason the lab boots the bzImage instead. */
export class NoPvhEntry extends LabError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NO_PVH_ENTRY', message, options);
  }
}

const COMPRESSIONS: Array<[BzImagePayload['compression'], number[]]> = [
  ['gzip', [0x1f, 0x8b]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['lzma', [0x5d, 0x00, 0x00]],
  ['lz4', [0x02, 0x21, 0x4c, 0x18]],
  ['lzo', [0x89, 0x4c, 0x5a, 0x4f]],
];

/** The payload's place and format, read from the header fields the boot protocol defines (Documentation/arch/x86/boot.rst). */
export function bzImagePayload(b: Buffer): BzImagePayload {
  if (b.length < 0x250 || b.toString('latin1', 0x202, 0x206) !== 'HdrS') throw new NoPvhEntry('not an x86 bzImage (no "HdrS" set-up header at 0x202)');
  const version = b.readUInt16LE(0x206);
  if (version < 0x208) throw new NoPvhEntry(`boot protocol ${(version >> 8).toString()}.${(version & 0xff).toString().padStart(2, '0')} has no payload fields (2.08 or later needed)`);
  // setup_sects 0 means 4, for the oldest loaders' sake.
  const setupSects = b.readUInt8(0x1f1) || 4;
  const offset = (setupSects + 1) * 512 + b.readUInt32LE(0x248);
  const length = b.readUInt32LE(0x24c);
  if (offset + length > b.length || length === 0) throw new NoPvhEntry(`the set-up header's payload (offset ${offset}, length ${length}) lies outside the ${b.length}-byte file`);
  const head = b.subarray(offset, offset + 8);
  const hit = COMPRESSIONS.find(([, magic]) => magic.every((v, i) => head[i] === v));
  return { offset, length, compression: hit?.[0] ?? 'unknown' };
}

const PT_NOTE = 4;
/** XEN_ELFNOTE_PHYS32_ENTRY: the 32-bit entry point of a PVH-capable kernel. */
const XEN_ELFNOTE_PHYS32_ENTRY = 18;

/** The file ranges of the PT_NOTE segments of a 64-bit little-endian ELF, from its first bytes (header and program headers). */
export function noteSegments(head: Buffer): Array<{ offset: number; length: number }> {
  if (head.length < 64 || head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2 || head[5] !== 1) return [];
  const phoff = Number(head.readBigUInt64LE(0x20));
  const phentsize = head.readUInt16LE(0x36);
  const phnum = head.readUInt16LE(0x38);
  const out: Array<{ offset: number; length: number }> = [];
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (ph + 56 > head.length) break;
    if (head.readUInt32LE(ph) === PT_NOTE) out.push({ offset: Number(head.readBigUInt64LE(ph + 8)), length: Number(head.readBigUInt64LE(ph + 32)) });
  }
  return out;
}

/** True when a note segment holds Xen's PHYS32_ENTRY note. */
export function notesHavePvhEntry(notes: Buffer): boolean {
  // Each note: namesz, descsz, type, then name and desc, each padded to 4 bytes.
  for (let p = 0; p + 12 <= notes.length; ) {
    const namesz = notes.readUInt32LE(p);
    const descsz = notes.readUInt32LE(p + 4);
    const type = notes.readUInt32LE(p + 8);
    const name = notes.toString('latin1', p + 12, p + 12 + Math.max(0, namesz - 1));
    if (name === 'Xen' && type === XEN_ELFNOTE_PHYS32_ENTRY) return true;
    p += 12 + align4(namesz) + align4(descsz);
  }
  return false;
}

/** True when the whole ELF in memory has a PVH entry point. */
export function hasPvhNote(elf: Buffer): boolean {
  return noteSegments(elf).some((r) => notesHavePvhEntry(elf.subarray(r.offset, r.offset + r.length)));
}

const align4 = (n: number): number => (n + 3) & ~3;

/** Decompress with the host's tool; the payload's last 4 bytes are the kernel's appended size, not part of the stream. */
async function decompress(p: BzImagePayload, data: Buffer, signal?: AbortSignal): Promise<Buffer> {
  if (p.compression === 'gzip') return gunzipSync(data);
  const tool: Record<string, string[]> = { xz: ['xz', '-dc', '--single-stream'], zstd: ['zstd', '-dcq'], lz4: ['lz4', '-dcq'], lzma: ['xz', '-dc', '--format=lzma', '--single-stream'], bzip2: ['bzip2', '-dcq'] };
  const cmd = tool[p.compression];
  if (!cmd) throw new NoPvhEntry(`the kernel is compressed with ${p.compression}, which the lab does not unpack`);
  return new Promise<Buffer>((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError('kernel unpacking aborted'));
    const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], signal });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', (e) => reject(signal?.aborted ? new AbortedError('kernel unpacking aborted') : new NoPvhEntry(`cannot run ${cmd[0]}: ${e.message}`, { cause: e })));
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new NoPvhEntry(`${cmd.join(' ')} failed (status ${code}): ${err.trim()}`))));
    child.stdin.on('error', () => undefined);
    child.stdin.end(data);
  });
}

/**
 * The PVH kernel of `bzImage`, written once beside it as `dest` (kept while the bzImage is
 * older). Throws NoPvhEntry, with the reason, when the kernel cannot start that way.
 */
export async function ensurePvhKernel(bzImage: string, dest: string, signal?: AbortSignal): Promise<string> {
  const [src, have] = await Promise.all([stat(bzImage), stat(dest).catch(() => undefined)]);
  if (have && have.mtimeMs >= src.mtimeMs && (await isPvhElf(dest))) return dest;
  const b = await readFile(bzImage);
  const p = bzImagePayload(b);
  const elf = await decompress(p, b.subarray(p.offset, p.offset + p.length - 4), signal);
  if (!hasPvhNote(elf)) throw new NoPvhEntry('the kernel has no PVH entry point (built without CONFIG_PVH)');
  // Another run may unpack the same kernel at once: each writes its own file, the rename is atomic.
  const tmp = `${dest}.${process.pid}.tmp`;
  try {
    const f = await open(tmp, 'w', 0o600);
    await f.writeFile(elf);
    await f.close();
    await rename(tmp, dest);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return dest;
}

async function isPvhElf(path: string): Promise<boolean> {
  const f = await open(path, 'r');
  try {
    const read = async (offset: number, length: number): Promise<Buffer> => {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await f.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    };
    // The program headers follow the ELF header; 4 KiB holds them for any kernel.
    for (const r of noteSegments(await read(0, 4096))) if (notesHavePvhEntry(await read(r.offset, Math.min(r.length, 1 << 20)))) return true;
    return false;
  } finally {
    await f.close();
  }
}
