import { copyFile, mkdir, rename, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import type { AptState } from './apt-state.js';
import { exec } from '../util/exec.js';
import { LabError } from '../util/errors.js';
import { sha256File } from '../util/fsutil.js';

/**
 * A shared cache of .deb files by sha256 (`<cache>/debs/<sha256>.deb`): every image and header
 * tree that needs busybox, dropbear or a kernel takes the one copy fetched first, and a file is
 * known by what the archive's signed lists say it is, whatever suite or version named it.
 */

/** One line of `apt-get --print-uris download`: 'URL' file size SHA256:hex. */
export interface DebUri {
  url: string;
  file: string;
  size: number;
  sha256: string;
}

/** The lines of `apt-get --print-uris download`, in order; other lines are passed over. Pure. */
export function parsePrintUris(text: string): DebUri[] {
  const out: DebUri[] = [];
  for (const line of text.split('\n')) {
    const m = /^'([^']+)'\s+(\S+\.deb)\s+(\d+)\s+SHA256:([0-9a-f]{64})\s*$/.exec(line.trim());
    if (m) out.push({ url: m[1]!, file: m[2]!, size: Number(m[3]), sha256: m[4]! });
  }
  return out;
}

/**
 * The .deb files of pkgs in dir (as `apt-get download` leaves them), taken from the cache where it
 * has them and downloaded (then added to it) where not. Returns the files in dir, in pkgs' order.
 */
export async function cachedDebDownload(pkgs: string[], dir: string, o: { cacheDir: string; apt?: AptState; signal?: AbortSignal }): Promise<string[]> {
  const opts = o.apt?.options() ?? [];
  await mkdir(dir, { recursive: true });
  await mkdir(o.cacheDir, { recursive: true });
  const uris = parsePrintUris((await exec('apt-get', [...opts, '-q', '--print-uris', 'download', ...pkgs], { signal: o.signal })).stdout);
  if (uris.length !== pkgs.length) throw new LabError('DEB_URIS', `apt-get --print-uris named ${uris.length} files for ${pkgs.length} packages (${pkgs.join(' ')})`);
  // apt-get prints the files in its own order, not pkgs' (with pkgs[i] for uris[i], a cached
  // file could be taken for another package's): each file is tied to its package by name.
  const pkgOf = (u: DebUri) => pkgs.find((p) => p.split('=')[0] === u.file.split('_')[0]);
  const missing: DebUri[] = [];
  for (const u of uris) {
    const cached = join(o.cacheDir, `${u.sha256}.deb`);
    // Checked at every use (a kernel .deb hashes in a fraction of a second): a damaged copy is fetched again.
    if ((await stat(cached).catch(() => undefined))?.size === u.size && (await sha256File(cached)) === u.sha256) await copyFile(cached, join(dir, u.file), constants.COPYFILE_FICLONE);
    else missing.push(u);
  }
  const toFetch = missing.map((u) => pkgOf(u));
  if (toFetch.some((p) => p === undefined)) throw new LabError('DEB_URIS', `apt-get --print-uris named files that match none of ${pkgs.join(' ')}: ${missing.map((u) => u.file).join(' ')}`);
  if (missing.length > 0) await exec('apt-get', [...opts, 'download', '-q', ...(toFetch as string[])], { cwd: dir, signal: o.signal });
  for (const u of missing) {
    const cached = join(o.cacheDir, `${u.sha256}.deb`);
    const got = await sha256File(join(dir, u.file)).catch(() => undefined);
    if (got !== u.sha256) throw new LabError('DEB_CHECKSUM', `${u.file} from ${u.url}: sha256 ${got ?? 'missing'}, the archive's lists say ${u.sha256}`);
    // Copied in under a private name, then renamed: a reader never sees half a file.
    const tmp = `${cached}.tmp-${process.pid}`;
    await copyFile(join(dir, u.file), tmp, constants.COPYFILE_FICLONE);
    await rename(tmp, cached);
  }
  return pkgs.map((p) => join(dir, (uris.find((u) => pkgOf(u) === p) ?? uris[pkgs.indexOf(p)]!).file));
}
