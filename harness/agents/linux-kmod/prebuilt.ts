import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../util/errors.js';
import { checkVermagic, readModinfo } from './modinfo.js';

/**
 * A linux-kmod build taken as built: a vendor ships one .ko per kernel it supports, laid out as
 * `<folder>/<kernel release>/<module>.ko`. The module for the guest's kernel is picked by release
 * and checked against it (vermagic) before it is installed: a folder without that kernel, or a
 * module built for another, is a clear configuration error, never a silent skip.
 */

/** A folder holds sources (built per kernel) when it has a Kbuild or a Makefile; else prebuilt modules. */
export async function isSourceFolder(dir: string): Promise<boolean> {
  for (const f of ['Kbuild', 'Makefile']) {
    if (await stat(join(dir, f)).then((s) => s.isFile(), () => false)) return true;
  }
  return false;
}

/** The kernel releases a prebuilt folder has a module for. */
export async function prebuiltReleases(dir: string, module: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (e.isDirectory() && (await stat(join(dir, e.name, `${module}.ko`)).then((s) => s.isFile(), () => false))) out.push(e.name);
  }
  return out.sort();
}

/** The checked .ko of `module` for `kernelRelease` in a prebuilt folder, with its vermagic. */
export async function findPrebuiltModule(dir: string, module: string, kernelRelease: string, version: string): Promise<{ ko: string; vermagic: string }> {
  const releases = await prebuiltReleases(dir, module);
  if (!releases.includes(kernelRelease)) {
    throw new ConfigError(
      'KMOD_NO_PREBUILT',
      `build ${version} has no ${module}.ko for kernel ${kernelRelease} in ${dir} (${releases.length ? `it has: ${releases.join(', ')}` : `expected <kernel release>/${module}.ko, or a Kbuild or Makefile to build from`})`,
      { file: dir },
    );
  }
  const ko = join(dir, kernelRelease, `${module}.ko`);
  let vermagic: string | undefined;
  try {
    vermagic = readModinfo(await readFile(ko)).vermagic?.[0];
  } catch (e) {
    throw new ConfigError('KMOD_INVALID', `${ko} is not a readable kernel module: ${(e as Error).message}`, { file: ko });
  }
  return { ko, vermagic: checkVermagic(vermagic, kernelRelease, ko) };
}
