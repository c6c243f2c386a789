import { chmod, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { exec } from '../util/exec.js';
import { sha256File } from '../util/fsutil.js';
import type { ImageManifest } from './manifest.js';
import type { LoadedRecipe } from './recipe.js';

/**
 * Image files hold the guest's SSH host private key (in the initramfs, on the root disk): only
 * the lab's user may read them, or anyone on the host could impersonate the guest to the lab.
 */
export const SECRET_FILE_MODE = 0o600;
export const IMAGE_DIR_MODE = 0o700;

/** Owner-only access (mode) to a file or folder that holds a private key, when it allows more. */
export async function restrictToOwner(path: string, mode = SECRET_FILE_MODE): Promise<void> {
  const st = await stat(path);
  if ((st.mode & 0o077) !== 0) await chmod(path, mode);
}

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
  // A root disk holds the guest's host private key (/etc/ssh): owner-only, like the initramfs.
  await restrictToOwner(o.out);
  await rm(raw, { force: true });
}

/**
 * The manifest of a kernel + initrd + disk image, from the files the builder left in outDir
 * (checksummed here) and what it resolved on the way.
 */
export async function kernelImageManifest(o: {
  loaded: LoadedRecipe;
  outDir: string;
  files: { kernel: string; initrd: string; disk: string };
  kernelRelease: string;
  kernelPackage: string;
  packages: Record<string, string>;
  hostKey: string;
  kernelArgs?: string[];
  startedAt: number;
}): Promise<ImageManifest> {
  const { recipe } = o.loaded;
  const entry = (name: string) => fileEntry(join(o.outDir, name), name);
  return {
    schema: 'bootgate.image/v1',
    name: recipe.name,
    recipeHash: o.loaded.hash,
    os: recipe.os,
    userland: recipe.userland,
    flavour: recipe.kernel?.flavour,
    kernelRelease: o.kernelRelease,
    kernelPackage: o.kernelPackage,
    ...(o.kernelArgs ? { kernelArgs: o.kernelArgs } : {}),
    packages: o.packages,
    hostKey: o.hostKey,
    files: { kernel: await entry(o.files.kernel), initrd: await entry(o.files.initrd), disk: await entry(o.files.disk) },
    builtAt: new Date().toISOString(),
    buildSeconds: Math.round((Date.now() - o.startedAt) / 100) / 10,
  };
}
