import { constants } from 'node:fs';
import { access, chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { AptState } from '../../images/apt-state.js';
import { aptDownload, candidateVersion, debExtract, resolveDependsOn } from '../../images/debs.js';
import { ConfigError, LabError, throwIfAborted } from '../../util/errors.js';
import { execCapture } from '../../util/exec.js';

/**
 * Debian kernel headers for building out-of-tree modules, without installing anything on
 * the host: the three packages a `linux-headers-<release>` install pulls in are downloaded
 * with `apt-get download`, unpacked with `dpkg-deb -x` into a cache directory, and the
 * unpacked tree is fixed so that kbuild works from there:
 *
 *   <cacheDir>/linux-headers-<release>/
 *     .bootgate-complete.json         written last: the tree is complete
 *     debs/*.deb
 *     root/usr/src/linux-headers-<release>/          the build dir (returned)
 *     root/usr/src/linux-headers-<abi>-common/       the arch-independent part
 *     root/usr/lib/linux-kbuild-<major.minor>/       fixdep, modpost, Makefile.* ...
 *
 * What Debian's layout assumes about /usr/src, and what is done about it:
 *  - the build dir's Makefile is one line, `include /usr/src/linux-headers-<abi>-common/Makefile`:
 *    rewritten to a path relative to the Makefile itself;
 *  - absolute symlinks (lib/modules/<release>/build and source) are made relative, so they
 *    point inside the cache and never at whatever the host has in /usr/src;
 *  - the `scripts` and `tools` symlinks of both header dirs are relative already
 *    (../../lib/linux-kbuild-*) and resolve once all three packages share one root: checked.
 */

export interface FetchKernelHeadersOptions {
  /** `uname -r` of the target kernel, e.g. 6.1.0-56-amd64. */
  kernelRelease: string;
  /** Shared cache; one subdirectory per release. */
  cacheDir: string;
  /** The lab's apt state of the kernel's suite; absent: the host's apt lists. */
  apt?: AptState;
  /** The shared .deb cache by sha256 (images/deb-cache.ts), when the caller keeps one. */
  debCache?: string;
  /**
   * For headers of another architecture than the host's (arm64 on amd64): the host's own apt state
   * of the kernel's suite, where linux-kbuild-* (fixdep, modpost: programs run at build time) is
   * taken from, in the host's architecture, instead of the kernel's.
   */
  hostKbuildApt?: AptState;
  signal?: AbortSignal;
}

export const HEADERS_MARKER = '.bootgate-complete.json';

interface HeadersMarker {
  kernelRelease: string;
  packages: string[];
  fixes: string[];
  completedAt: string;
}

/** Kernel releases end up in package names and paths: allow only what Debian uses. */
export function validateKernelRelease(release: string): void {
  if (!/^[0-9]+\.[0-9]+(\.[0-9]+)?[-+][0-9A-Za-z][0-9A-Za-z.+~_-]*$/.test(release) || release.includes('..')) {
    throw new ConfigError('KERNEL_RELEASE_INVALID', `"${release}" is not a kernel release (expected \`uname -r\` form, e.g. 6.1.0-56-amd64)`, {
      field: 'kernelRelease',
    });
  }
}

/** The release (`uname -r`) of the kernel a Debian metapackage currently points at, e.g. linux-image-amd64 -> 6.1.0-56-amd64. */
export async function currentDebianKernelRelease(metapackage = 'linux-image-amd64', signal?: AbortSignal): Promise<string> {
  const image = await resolveDependsOn(metapackage, 'linux-image-', signal);
  return image.slice('linux-image-'.length).replace(/-unsigned$/, '');
}

/** Where fetchKernelHeaders puts (or finds) the build dir of a release. */
export function headersCachePaths(cacheDir: string, kernelRelease: string) {
  const dir = join(cacheDir, `linux-headers-${kernelRelease}`);
  return {
    dir,
    marker: join(dir, HEADERS_MARKER),
    buildDir: join(dir, 'root', 'usr', 'src', `linux-headers-${kernelRelease}`),
  };
}

/**
 * Rewrite `include /usr/...` lines of a header dir's Makefile so the included file is found
 * relative to the Makefile wherever the tree lives. `makefileAbsPath` is where the Makefile
 * sits in a normal install (e.g. /usr/src/linux-headers-6.1.0-56-amd64/Makefile).
 */
export function rewriteHeadersMakefile(text: string, makefileAbsPath: string): { text: string; changed: string[] } {
  const here = posix.dirname(makefileAbsPath);
  const changed: string[] = [];
  const out = text
    .split('\n')
    .map((line) => {
      // Newer Debian headers (unstable's 7.x) also name their own folder as KBUILD_OUTPUT: made
      // relative the same way, expanded at once (:=) while this Makefile is the last one read.
      const out = /^\s*KBUILD_OUTPUT\s*:?=\s*(\/(?:usr|lib)\/\S+)\s*$/.exec(line);
      if (out) {
        const fixed = `KBUILD_OUTPUT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))${posix.relative(here, out[1]!) || '.'})`;
        changed.push(`${line.trim()} -> ${fixed}`);
        return fixed;
      }
      const m = /^(\s*-?include\s+)(\/(?:usr|lib)\/\S+)(\s*)$/.exec(line);
      if (!m) return line;
      const rel = posix.relative(here, m[2]!);
      const fixed = `${m[1]}$(dir $(lastword $(MAKEFILE_LIST)))${rel}${m[3]}`;
      changed.push(`${line.trim()} -> ${fixed.trim()}`);
      return fixed;
    })
    .join('\n');
  return { text: out, changed };
}

/**
 * The relative target for a symlink at `linkAbsPath` (its path in a normal install) that
 * points at the absolute `target`, so that it resolves inside whatever root the tree is in.
 */
export function relativeLinkTarget(linkAbsPath: string, target: string): string {
  return posix.relative(posix.dirname(linkAbsPath), posix.normalize(target)) || '.';
}

async function walk(root: string, rel: string, visit: (rel: string, isLink: boolean) => Promise<void>): Promise<void> {
  for (const e of await readdir(join(root, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${e.name}` : e.name;
    if (e.isSymbolicLink()) await visit(child, true);
    else if (e.isDirectory()) await walk(root, child, visit);
    else await visit(child, false);
  }
}

/** Make an unpacked headers tree (packages extracted into `root`) usable from where it is; returns what was changed. */
export async function fixHeadersTree(root: string, kernelRelease: string): Promise<string[]> {
  const fixes: string[] = [];

  // Absolute symlinks -> relative ones inside root.
  await walk(root, '', async (rel, isLink) => {
    if (!isLink) return;
    const target = await readlink(join(root, rel));
    if (!target.startsWith('/')) return;
    const fixed = relativeLinkTarget(`/${rel}`, target);
    await unlink(join(root, rel));
    await symlink(fixed, join(root, rel));
    fixes.push(`symlink /${rel}: ${target} -> ${fixed}`);
  });

  // Makefiles of the header dirs that include the -common Makefile by absolute path.
  const srcDir = join(root, 'usr', 'src');
  for (const name of await readdir(srcDir)) {
    if (!name.startsWith('linux-headers-')) continue;
    const file = join(srcDir, name, 'Makefile');
    const st = await lstat(file).catch(() => undefined);
    if (!st?.isFile()) continue;
    const { text, changed } = rewriteHeadersMakefile(await readFile(file, 'utf8'), `/usr/src/${name}/Makefile`);
    if (changed.length === 0) continue;
    await writeFile(file, text);
    for (const c of changed) fixes.push(`/usr/src/${name}/Makefile: ${c}`);
  }

  await checkHeadersTree(root, kernelRelease);
  return fixes;
}

/** What `make -C <build dir> M=... modules` needs; throws a LabError naming the first thing missing. */
export async function checkHeadersTree(root: string, kernelRelease: string): Promise<void> {
  const build = join(root, 'usr', 'src', `linux-headers-${kernelRelease}`);
  const need: Array<[string, number]> = [
    ['Makefile', constants.R_OK],
    ['.config', constants.R_OK],
    ['Module.symvers', constants.R_OK],
    ['include/generated/utsrelease.h', constants.R_OK],
    ['scripts/Makefile.build', constants.R_OK],
    ['scripts/Makefile.modpost', constants.R_OK],
    ['scripts/basic/fixdep', constants.X_OK],
    ['scripts/mod/modpost', constants.X_OK],
  ];
  for (const [rel, mode] of need) {
    try {
      await access(join(build, rel), mode);
    } catch {
      throw new LabError(
        'KERNEL_HEADERS_BROKEN',
        `kernel headers for ${kernelRelease} unpacked in ${root} lack ${rel} (a symlink into linux-kbuild-* or linux-headers-*-common that does not resolve?)`,
      );
    }
  }
  const uts = await readFile(join(build, 'include/generated/utsrelease.h'), 'utf8');
  const m = /UTS_RELEASE\s+"([^"]*)"/.exec(uts);
  if (m?.[1] !== kernelRelease) {
    throw new LabError('KERNEL_HEADERS_BROKEN', `kernel headers in ${build} are for ${m?.[1] ?? 'an unknown release'}, not ${kernelRelease}`);
  }
  const makefile = await readFile(join(build, 'Makefile'), 'utf8');
  const abs = /^\s*(?:-?include\s+|KBUILD_OUTPUT\s*:?=\s*)(\/\S+)/m.exec(makefile);
  if (abs) throw new LabError('KERNEL_HEADERS_BROKEN', `${build}/Makefile still includes the absolute path ${abs[1]}`);
}

async function readMarker(marker: string, kernelRelease: string): Promise<HeadersMarker | undefined> {
  try {
    const m = JSON.parse(await readFile(marker, 'utf8')) as Partial<HeadersMarker>;
    return m.kernelRelease === kernelRelease && Array.isArray(m.packages) ? (m as HeadersMarker) : undefined;
  } catch {
    return undefined;
  }
}

/** The packages (pinned `name=version`) that make up the headers of a release. */
async function headerPackages(kernelRelease: string, signal?: AbortSignal, apt?: AptState): Promise<[string, string, string]> {
  const pkg = `linux-headers-${kernelRelease}`;
  const version = await candidateVersion(pkg, signal, apt);
  const common = await resolveDependsOn(pkg, 'linux-headers-', signal, apt);
  const kbuild = await resolveDependsOn(pkg, 'linux-kbuild-', signal, apt);
  // -common comes from the same source package, so it has the same version. linux-kbuild-*
  // does too, unless the archive only still carries a newer one (then take that).
  // apt-cache show exits 0 for a version it does not know (it prints nothing): read its output.
  const shown = await execCapture('apt-cache', [...(apt?.options() ?? []), 'show', '-q', `${kbuild}=${version}`], { signal });
  const kbuildPinned = shown.code === 0 && /^Package: /m.test(shown.stdout);
  return [`${pkg}=${version}`, `${common}=${version}`, kbuildPinned ? `${kbuild}=${version}` : kbuild];
}

/**
 * Download and unpack the headers of `kernelRelease` into the cache (once), fix the tree so
 * kbuild works from there, and return the build dir for `make -C <dir> M=<src> modules`.
 */
export async function fetchKernelHeaders(opts: FetchKernelHeadersOptions): Promise<string> {
  const { kernelRelease, cacheDir, signal } = opts;
  validateKernelRelease(kernelRelease);
  const paths = headersCachePaths(cacheDir, kernelRelease);
  if (await readMarker(paths.marker, kernelRelease)) return paths.buildDir;

  throwIfAborted(signal);
  await mkdir(cacheDir, { recursive: true });
  // Build in a private directory next to the final one, then rename it into place, so a
  // crash or a concurrent fetch never leaves a half-made tree under the final name.
  const tmp = await mkdtemp(join(cacheDir, `.linux-headers-${kernelRelease}.tmp-`));
  try {
    const [headers, common, kbuild] = await headerPackages(kernelRelease, signal, opts.apt);
    const packages = [headers, common, kbuild];
    const debs = await aptDownload(opts.hostKbuildApt ? [headers, common] : packages, join(tmp, 'debs'), signal, opts.apt, opts.debCache);
    // The same linux-kbuild version, built for the host: its programs run here while the module is cross-compiled.
    if (opts.hostKbuildApt) debs.push(...(await aptDownload([kbuild], join(tmp, 'debs-host'), signal, opts.hostKbuildApt, opts.debCache)));
    for (const deb of debs) {
      throwIfAborted(signal);
      await debExtract(deb, join(tmp, 'root'), signal);
    }
    throwIfAborted(signal);
    const fixes = await fixHeadersTree(join(tmp, 'root'), kernelRelease);
    const marker: HeadersMarker = { kernelRelease, packages, fixes, completedAt: new Date().toISOString() };
    await writeFile(join(tmp, HEADERS_MARKER), `${JSON.stringify(marker, null, 2)}\n`);
    await chmod(tmp, 0o755); // mkdtemp made it private; the cache is shared

    // A previous attempt without a marker is garbage; a concurrent winner with one is kept.
    if (await readMarker(paths.marker, kernelRelease)) return paths.buildDir;
    await rm(paths.dir, { recursive: true, force: true });
    try {
      await rename(tmp, paths.dir);
    } catch (e) {
      if (await readMarker(paths.marker, kernelRelease)) return paths.buildDir;
      throw new LabError('CACHE_WRITE_FAILED', `cannot move kernel headers into ${paths.dir}: ${(e as Error).message}`, { cause: e });
    }
    return paths.buildDir;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

