import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { exec } from '../util/exec.js';
import { sha256File } from '../util/fsutil.js';

/** A manifest entry for one built file: its name in the image folder, checksum and size. */
export async function fileEntry(path: string, name: string): Promise<{ path: string; sha256: string; size: number }> {
  return { path: name, sha256: await sha256File(path), size: (await stat(path)).size };
}

/**
 * An ext4 filesystem (optionally filled from a folder) as a qcow2 file: the base every cell's
 * overlay sits on. Inode tables are written now, not lazily in each cell's first boot.
 */
export async function ext4Qcow2(o: { work: string; out: string; sizeMiB: number; label: string; fromDir?: string; reservedPct?: number; signal?: AbortSignal }): Promise<void> {
  const raw = join(o.work, `${o.label}.raw`);
  await exec('truncate', ['-s', `${o.sizeMiB}M`, raw], { signal: o.signal });
  const args = ['-F', '-q', '-L', o.label, '-E', 'lazy_itable_init=0,lazy_journal_init=0'];
  if (o.reservedPct !== undefined) args.push('-m', String(o.reservedPct));
  if (o.fromDir) args.push('-d', o.fromDir);
  await exec('mkfs.ext4', [...args, raw], { signal: o.signal });
  await exec('qemu-img', ['convert', '-q', '-O', 'qcow2', raw, o.out], { signal: o.signal });
  await rm(raw, { force: true });
}
