import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { aptDownload } from '../../images/debs.js';
import { moduleName } from '../../images/module-order.js';
import { decompressModule } from '../../images/module-file.js';
import { ConfigError, LabError, throwIfAborted } from '../../util/errors.js';
import { exec, execCapture } from '../../util/exec.js';
import { checkVermagic, readModinfo } from './modinfo.js';

/**
 * An in-tree module (test_bpf, a driver the distribution ships) run as an agent: taken from the
 * very kernel package the image was built from (package and version from its manifest), with the
 * modules it depends on (modinfo `depends`), so it is always built for the guest's kernel. The
 * package is downloaded once per version; only the needed modules are unpacked and kept, as plain
 * .ko files, in `<cacheDir>/<package>_<version>/`.
 */

export interface InTreeModuleOptions {
  module: string;
  kernelPackage: string;
  packageVersion: string;
  kernelRelease: string;
  cacheDir: string;
  signal?: AbortSignal;
  progress?: (s: string) => void;
}

export interface InTreeModule {
  /** The module's own .ko, then the modules it needs, dependencies first. */
  ko: string;
  deps: string[];
  vermagic: string;
}

const MARKER = '.bootgate-complete.json';

/** Module paths of a `dpkg-deb -c` listing under `lib/modules/<release>/`, by module name. */
export function modulesInListing(listing: string, release: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of listing.split('\n')) {
    const path = line.slice(line.lastIndexOf(' ') + 1);
    if (!/\.ko(\.(xz|zst|gz))?$/.test(path)) continue;
    if (!path.includes(`lib/modules/${release}/`)) continue;
    out.set(moduleName(path), path);
  }
  return out;
}

/** A module's `depends` as module names (comma-separated in .modinfo; empty for none). */
export function moduleDepends(ko: Uint8Array): string[] {
  const v = readModinfo(ko).depends?.[0] ?? '';
  return v.split(',').map((d) => d.trim().replace(/-/g, '_')).filter(Boolean);
}

/** The module and its dependencies as files of the cache folder that holds them. */
function inFolder(dir: string, want: string, order: string[], vermagic: string): InTreeModule {
  return { ko: join(dir, `${want}.ko`), deps: order.filter((n) => n !== want).map((n) => join(dir, `${n}.ko`)), vermagic };
}

export async function fetchInTreeModule(o: InTreeModuleOptions): Promise<InTreeModule> {
  const want = o.module.replace(/-/g, '_');
  const dir = join(o.cacheDir, `${o.kernelPackage}_${o.packageVersion}`, want);
  const done = await readFile(join(dir, MARKER), 'utf8').then((t) => JSON.parse(t) as { order: string[]; vermagic: string }, () => undefined);
  if (done) return inFolder(dir, want, done.order, done.vermagic);

  // Work inside the cache, so the finished folder is renamed into place (no cross-device move).
  await mkdir(o.cacheDir, { recursive: true });
  const work = await mkdtemp(join(o.cacheDir, '.work-'));
  try {
    o.progress?.(`downloading ${o.kernelPackage} ${o.packageVersion} for its ${want} module`);
    let deb: string;
    try {
      [deb] = (await aptDownload([`${o.kernelPackage}=${o.packageVersion}`], join(work, 'debs'), o.signal)) as [string];
    } catch (e) {
      if ((e as { name?: string }).name === 'AbortedError') throw e;
      throw new LabError('KMOD_IN_TREE_PACKAGE', `cannot download ${o.kernelPackage} ${o.packageVersion}, the kernel package of this image (is it still in the apt lists? \`apt-get update\`, or rebuild the image): ${(e as Error).message}`, { cause: e });
    }
    const listed = modulesInListing((await exec('dpkg-deb', ['-c', deb], { signal: o.signal, maxBuffer: 64 << 20 })).stdout, o.kernelRelease);
    if (!listed.has(want)) {
      throw new ConfigError('KMOD_NOT_IN_TREE', `${o.kernelPackage} ${o.packageVersion} has no module ${want} (kernel ${o.kernelRelease}); an in-tree agent names a module the kernel package ships (\`module:\`)`, { field: 'module' });
    }
    // Breadth first over `depends`, unpacking each level in one pass over the package.
    const order: string[] = [];
    let level = [want];
    const unpacked = join(work, 'root');
    await mkdir(unpacked, { recursive: true });
    await mkdir(join(work, 'out'), { recursive: true });
    while (level.length > 0) {
      throwIfAborted(o.signal);
      const paths = level.map((n) => {
        const p = listed.get(n);
        if (!p) throw new LabError('KMOD_IN_TREE_DEPENDS', `${want} needs module ${n}, which ${o.kernelPackage} does not ship`);
        return p;
      });
      const r = await execCapture('sh', ['-c', 'deb="$1"; dir="$2"; shift 2; dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir" "$@"', 'sh', deb, unpacked, ...paths], { signal: o.signal });
      if (r.code !== 0) throw new LabError('KMOD_IN_TREE_UNPACK', `unpacking ${paths.join(', ')} from ${o.kernelPackage} failed: ${r.stderr.trim().slice(-400)}`);
      const next: string[] = [];
      for (const [i, n] of level.entries()) {
        const ko = join(work, 'out', `${n}.ko`);
        await decompressModule(join(unpacked, paths[i]!), ko, o.signal);
        order.unshift(n);
        for (const d of moduleDepends(await readFile(ko))) if (!order.includes(d) && !next.includes(d) && !level.includes(d)) next.push(d);
      }
      level = next;
    }
    const vermagic = checkVermagic(readModinfo(await readFile(join(work, 'out', `${want}.ko`))).vermagic?.[0], o.kernelRelease, `${want}.ko from ${o.kernelPackage}`);
    // modprobe resolves the load order itself (depmod in the guest); this order is for the record.
    const loadOrder = [...order.filter((n) => n !== want), want];
    await writeFile(join(work, 'out', MARKER), JSON.stringify({ order: loadOrder, vermagic, package: o.kernelPackage, version: o.packageVersion }, null, 2));
    await mkdir(join(dir, '..'), { recursive: true });
    await rm(dir, { recursive: true, force: true });
    await rename(join(work, 'out'), dir);
    return inFolder(dir, want, loadOrder, vermagic);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
