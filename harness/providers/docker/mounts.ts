import { dirname, resolve, sep } from 'node:path';

/**
 * The bind mounts of a machine's container: every path QEMU opens is mounted at the same absolute
 * path, so the command line prepareMachineArgs builds for the host runs unchanged inside, and a
 * qcow2 overlay's backing chain (absolute paths written in each file) resolves as it does outside.
 */
export interface MountPlan {
  /** Folders QEMU writes: the machine's scratch folder's parent (overlay, sockets, saved states). */
  writable: string[];
  /** Files QEMU only reads (backing images, kernel, initrd, a saved state): their folders are mounted. */
  readOnlyFiles: string[];
}

const under = (path: string, dir: string) => path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);

/** One bind mount: the folder, at the same path inside. */
export interface Bind {
  dir: string;
  readOnly: boolean;
}

/**
 * The bind mounts for a plan: a folder already inside a mounted folder is left out (it is visible
 * through it; a writable mount is never shadowed by a read-only one), duplicates once.
 */
export function bindsOf(plan: MountPlan): Bind[] {
  const rw = [...new Set(plan.writable.map((d) => resolve(d)))];
  const rwTop = rw.filter((d) => !rw.some((o) => o !== d && under(d, o)));
  const ro = [...new Set(plan.readOnlyFiles.map((f) => dirname(resolve(f))))].filter((d) => !rwTop.some((o) => under(d, o)));
  const roTop = ro.filter((d) => !ro.some((o) => o !== d && under(d, o)));
  return [...rwTop.sort().map((dir) => ({ dir, readOnly: false })), ...roTop.sort().map((dir) => ({ dir, readOnly: true }))];
}

/** Whether `file` lies in a folder the binds make writable: where a machine can write a saved state. */
export function writableIn(binds: readonly Bind[], file: string): boolean {
  const f = resolve(file);
  return binds.some((b) => !b.readOnly && under(f, b.dir));
}
