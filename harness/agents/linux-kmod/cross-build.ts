import { ConfigError } from '../../util/errors.js';

/** How a module for another architecture is built here: kbuild's ARCH, Debian's cross compiler prefix, and the suite the headers come from. */
export interface CrossBuild {
  arch: string;
  prefix: string;
  suite: string;
}

/** Suites whose kernels were built with the compiler of the host's own Debian 12 (gcc-12): its cross compiler makes modules they load. */
const HOST_COMPILER_SUITES = ['bookworm', 'bookworm-backports'];

/**
 * The cross build of a module for an arm64 kernel of `suite` (absent: bookworm). Pure. Another
 * suite's kernel was built with another gcc, which the host's cross compiler is not: refused by
 * name rather than built with the wrong compiler.
 */
export function crossBuildOf(arch: 'arm64', suite: string | undefined): CrossBuild {
  const s = suite ?? 'bookworm';
  if (!HOST_COMPILER_SUITES.includes(s)) {
    throw new ConfigError('KMOD_CROSS_SUITE', `modules for ${arch} kernels of Debian ${s} cannot be built here yet: the host's cross compiler (gcc-12-aarch64-linux-gnu) fits Debian 12's kernels (${HOST_COMPILER_SUITES.join(', ')}) only`);
  }
  return { arch, prefix: 'aarch64-linux-gnu-', suite: s };
}

/** Debian names a cross compiler's package after its triplet: aarch64-linux-gnu-gcc-12 is in gcc-12-aarch64-linux-gnu. Pure. */
export function crossCompilerPackage(cc: string, prefix: string): string {
  return cc.startsWith(prefix) ? `${cc.slice(prefix.length)}-${prefix.slice(0, -1)}` : cc;
}
