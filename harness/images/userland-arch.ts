/**
 * Where an architecture's Debian userland keeps its libraries and dynamic loader: what the
 * initramfs builder copies and at which path the guest's binaries ask for the loader (PT_INTERP).
 */
export interface UserlandArch {
  /** Debian's multiarch triplet: lib/<triplet>/ holds the libraries. */
  triplet: string;
  /** The loader's path inside the package tree (no leading slash). */
  loader: string;
  /** Where binaries of this architecture look for it (their PT_INTERP, no leading slash). */
  interp: string;
}

export const USERLAND_ARCHES: Record<'amd64' | 'arm64', UserlandArch> = {
  amd64: { triplet: 'x86_64-linux-gnu', loader: 'lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', interp: 'lib64/ld-linux-x86-64.so.2' },
  arm64: { triplet: 'aarch64-linux-gnu', loader: 'lib/aarch64-linux-gnu/ld-linux-aarch64.so.1', interp: 'lib/ld-linux-aarch64.so.1' },
};
