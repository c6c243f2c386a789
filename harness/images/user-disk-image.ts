import { mkdir, stat, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { sha256File } from '../util/fsutil.js';
import type { ImageManifest } from './manifest.js';
import type { LoadedRecipe } from './recipe.js';
import { checkUserDisk, resolveWindowsProfile } from './windows-profile.js';

/**
 * The catalog entry of a user's own disk (a prepared Windows image): nothing is built. The image
 * folder holds a link to the disk, named for its format (the overlay's backing format follows the
 * name), and the manifest records its size and checksum, so a disk that was changed under the
 * lab is noticed. The disk itself is never written nor re-permissioned: cells boot overlays of it.
 */
export async function userDiskManifest(loaded: LoadedRecipe, outDir: string, started: number): Promise<ImageManifest> {
  const r = loaded.recipe;
  const disk = await checkUserDisk(r.disk!, { relativeTo: dirname(loaded.file), file: loaded.file, field: 'disk' });
  await mkdir(outDir, { recursive: true });
  const name = `disk.${disk.format}`;
  await symlink(disk.path, join(outDir, name));
  const profile = r.windows ? resolveWindowsProfile(r.windows) : undefined;
  return {
    schema: 'bootgate.image/v1',
    name: r.name,
    recipeHash: loaded.hash,
    os: r.os,
    userland: r.userland,
    packages: {},
    ...(profile?.hostKey ? { hostKey: profile.hostKey } : {}),
    files: { disk: { path: name, sha256: await sha256File(disk.path), size: (await stat(disk.path)).size } },
    builtAt: new Date().toISOString(),
    buildSeconds: Math.round((Date.now() - started) / 100) / 10,
  };
}
