import { join } from 'node:path';
import { exec } from '../util/exec.js';
import { LabError } from '../util/errors.js';
import { pathExists } from '../util/fsutil.js';

// A package tree holds one architecture's libraries: both triplets are looked in (amd64, arm64).
const LIB_DIRS = ['lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu', 'lib/aarch64-linux-gnu', 'usr/lib/aarch64-linux-gnu', 'lib64', 'lib', 'usr/lib'];

/** NEEDED entries of one ELF file, read with readelf. */
async function needed(file: string, signal?: AbortSignal): Promise<string[]> {
  const r = await exec('readelf', ['-d', file], { signal });
  return [...r.stdout.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]!);
}

/**
 * The shared libraries (paths relative to root) that the given binaries need, transitively,
 * found inside an unpacked package tree rather than on the host.
 */
export async function sharedLibClosure(root: string, binaries: string[], signal?: AbortSignal): Promise<string[]> {
  const found = new Map<string, string>();
  const queue = [...binaries.map((b) => join(root, b))];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const lib of await needed(file, signal)) {
      if (found.has(lib)) continue;
      let rel: string | undefined;
      for (const d of LIB_DIRS) {
        if (await pathExists(join(root, d, lib))) {
          rel = join(d, lib);
          break;
        }
      }
      if (!rel) throw new LabError('IMAGE_LIB_MISSING', `${lib} (needed by ${file}) is not in the downloaded packages`);
      found.set(lib, rel);
      queue.push(join(root, rel));
    }
  }
  return [...found.values()];
}
