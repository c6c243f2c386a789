import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { exec, execCapture } from '../util/exec.js';
import { ConfigError } from '../util/errors.js';

/**
 * Debian packages as build inputs: downloaded with `apt-get download` and unpacked with
 * `dpkg-deb -x`, so nothing is ever installed on the host.
 */

/** The candidate version apt would pick, or a ConfigError when the package does not exist. */
export async function candidateVersion(pkg: string, signal?: AbortSignal): Promise<string> {
  const r = await execCapture('apt-cache', ['policy', pkg], { signal });
  const m = /Candidate:\s*(\S+)/.exec(r.stdout);
  if (!m || m[1] === '(none)') {
    throw new ConfigError('PACKAGE_NOT_FOUND', `Debian package ${pkg} is not in the apt lists (run \`apt-get update\`, or check the name)`);
  }
  return m[1]!;
}

/** For a metapackage such as linux-image-amd64: the first concrete package it depends on. */
export async function resolveDependsOn(pkg: string, prefix: string, signal?: AbortSignal): Promise<string> {
  const r = await execCapture('apt-cache', ['depends', pkg], { signal });
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*Depends:\s*(\S+)/.exec(line);
    if (m && m[1]!.startsWith(prefix)) return m[1]!;
  }
  throw new ConfigError('PACKAGE_NOT_FOUND', `Debian package ${pkg} does not depend on any ${prefix}* package`);
}

/** Download .deb files into dir; returns their paths. */
export async function aptDownload(pkgs: string[], dir: string, signal?: AbortSignal): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  await exec('apt-get', ['download', '-q', ...pkgs], { cwd: dir, signal });
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
 * linux-image-amd64 -> linux-image-6.1.0-56-amd64, as the host's apt lists say. Concrete
 * packages (linux-image-6.1.0-56-amd64, linux-image-6.12.117+deb12-rt-amd64) are kept;
 * linux-image-amd64 and linux-image-6.12-amd64 are metapackages.
 */
export async function concreteKernelPackage(pkg: string, signal?: AbortSignal): Promise<string> {
  if (/^linux-image-\d+\.\d+\.\d+/.test(pkg)) return pkg;
  return resolveDependsOn(pkg, 'linux-image-', signal);
}
