import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AptState } from './apt-state.js';
import { cachedDebDownload } from './deb-cache.js';
import { PackageGoneError } from './package-gone-error.js';
import { newestSibling } from './package-siblings.js';
import { exec, execCapture } from '../util/exec.js';
import { ConfigError } from '../util/errors.js';
import { Limiter } from '../util/limiter.js';

/**
 * Debian packages as build inputs: downloaded with `apt-get download` and unpacked with
 * `dpkg-deb -x`, so nothing is ever installed on the host. Without an AptState the host's apt
 * lists are read (Debian 12 recipes, as always); with one, that lab-private state alone.
 */

const aptOpts = (apt?: AptState) => apt?.options() ?? [];

/** The candidate version apt would pick, or an error naming the package (and, from an AptState, the newest of its kind there). */
export async function candidateVersion(pkg: string, signal?: AbortSignal, apt?: AptState): Promise<string> {
  const v = await candidateOf(pkg, signal, apt);
  if (v) return v;
  if (apt) throw new PackageGoneError(pkg, apt.toString(), await newestOfKind(pkg, apt, signal));
  throw new ConfigError('PACKAGE_NOT_FOUND', `Debian package ${pkg} is not in the apt lists (run \`apt-get update\`, or check the name)`);
}

async function candidateOf(pkg: string, signal: AbortSignal | undefined, apt: AptState | undefined): Promise<string | undefined> {
  const r = await execCapture('apt-cache', [...aptOpts(apt), 'policy', pkg], { signal });
  const m = /Candidate:\s*(\S+)/.exec(r.stdout);
  return m && m[1] !== '(none)' ? m[1] : undefined;
}

/** The newest package of the same kind as pkg in the state (linux-image-5.10.0-46-amd64 for a gone -30), with its version. */
async function newestOfKind(pkg: string, apt: AptState, signal?: AbortSignal): Promise<{ name: string; version: string } | undefined> {
  const prefix = /^[a-z0-9+.-]*?-(?=\d)/.exec(pkg)?.[0] ?? pkg;
  const names = (await execCapture('apt-cache', [...aptOpts(apt), 'pkgnames', prefix], { signal })).stdout.split('\n').filter(Boolean);
  const name = newestSibling(pkg, names);
  const version = name && (await candidateOf(name, signal, apt));
  return name && version ? { name, version } : undefined;
}

/** For a metapackage such as linux-image-amd64: the first concrete package it depends on. */
export async function resolveDependsOn(pkg: string, prefix: string, signal?: AbortSignal, apt?: AptState): Promise<string> {
  const r = await execCapture('apt-cache', [...aptOpts(apt), 'depends', pkg], { signal });
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*Depends:\s*(\S+)/.exec(line);
    if (m && m[1]!.startsWith(prefix)) return m[1]!;
  }
  if (apt && !(await candidateOf(pkg, signal, apt))) throw new PackageGoneError(pkg, apt.toString(), await newestOfKind(pkg, apt, signal));
  throw new ConfigError('PACKAGE_NOT_FOUND', `Debian package ${pkg} does not depend on any ${prefix}* package`);
}

/** Downloads at once in this process, whatever number of images build in parallel: the mirror and the link are shared. */
export const MAX_DOWNLOADS = 2;
const downloads = new Limiter(MAX_DOWNLOADS);

/** Download .deb files into dir, through the shared cache by sha256 when given one; returns their paths. */
export function aptDownload(pkgs: string[], dir: string, signal?: AbortSignal, apt?: AptState, debCache?: string): Promise<string[]> {
  return downloads.run(() => (debCache ? cachedDebDownload(pkgs, dir, { cacheDir: debCache, apt, signal }) : hostDownload(pkgs, dir, signal, apt)));
}

async function hostDownload(pkgs: string[], dir: string, signal?: AbortSignal, apt?: AptState): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  await exec('apt-get', [...aptOpts(apt), 'download', '-q', ...pkgs], { cwd: dir, signal });
  const debs = (await readdir(dir)).filter((f) => f.endsWith('.deb'));
  return pkgs.map((p) => {
    const name = p.split('=')[0]!;
    const f = debs.find((d) => d.startsWith(`${name}_`));
    if (!f) throw new ConfigError('PACKAGE_NOT_FOUND', `apt-get download did not produce ${name}`);
    return join(dir, f);
  });
}

export async function debExtract(deb: string, dest: string, signal?: AbortSignal): Promise<void> {
  await mkdir(dest, { recursive: true });
  await exec('dpkg-deb', ['-x', deb, dest], { signal });
}

/**
 * linux-image-amd64 -> linux-image-6.1.0-56-amd64, as the apt lists say. Concrete packages
 * (linux-image-6.1.0-56-amd64, linux-image-6.12.117+deb12-rt-amd64) are kept (candidateVersion
 * then says whether they are there); linux-image-amd64 and linux-image-6.12-amd64 are metapackages.
 */
export async function concreteKernelPackage(pkg: string, signal?: AbortSignal, apt?: AptState): Promise<string> {
  if (/^linux-image-\d+\.\d+\.\d+/.test(pkg)) return pkg;
  return resolveDependsOn(pkg, 'linux-image-', signal, apt);
}

/**
 * The packages that hold a concrete kernel: the image package itself, and the parts newer kernels
 * split out of it and it depends on (sid's linux-binary-R, linux-modules-R, linux-base-R for
 * linux-image-R). Debian 11 to 13 kernels are one package.
 */
export async function kernelPackageParts(pkg: string, signal?: AbortSignal, apt?: AptState): Promise<string[]> {
  const release = pkg.replace(/^linux-image-/, '');
  const r = await execCapture('apt-cache', [...aptOpts(apt), 'depends', pkg], { signal });
  const parts = new Set<string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*(?:Pre)?Depends:\s*(linux-[a-z]+-(\S+))$/.exec(line);
    if (m && m[2] === release && m[1] !== pkg) parts.add(m[1]!);
  }
  return [pkg, ...[...parts].sort()];
}
