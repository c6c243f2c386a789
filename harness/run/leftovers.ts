import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ownerStamp, parentPid, stampAlive } from '../util/process-identity.js';

/** Scratch folders of cells are named after their run: `bootgate-cell-<run id>-XXXXXX`. */
export const SCRATCH_PREFIX = 'bootgate-cell-';
const OWNER_FILE = 'owner';
/** A scratch folder from a version that wrote no owner file is a leftover once this old. */
const UNOWNED_AFTER_MS = 3_600_000;

/** Mark a scratch folder as this process's: a later run can then tell that its harness is gone. */
export async function writeOwner(dir: string): Promise<void> {
  await writeFile(join(dir, OWNER_FILE), `${await ownerStamp()}\n`);
}

export interface Leftovers {
  /** Scratch folders whose harness is gone. */
  dirs: string[];
  /** VM processes (pid, name) whose harness is gone: orphans that outlived it. */
  vms: { pid: number; name: string }[];
}

async function ownerAlive(dir: string): Promise<boolean> {
  const text = await readFile(join(dir, OWNER_FILE), 'utf8').catch(() => undefined);
  if (text === undefined) {
    const st = await stat(dir).catch(() => undefined);
    return st !== undefined && Date.now() - st.mtimeMs < UNOWNED_AFTER_MS;
  }
  return stampAlive(text);
}

/**
 * What runs left behind when their harness died without cleaning up (kill -9, a host crash):
 * scratch folders whose owner process is gone, and bootgate VMs whose parent is not a Node
 * process (the parent-death signal normally takes them with the harness; these predate it or
 * escaped it). VMs of a live harness, this one or another, are never counted, nor VMs in
 * containers (the docker provider reaps those by their labels).
 */
export async function findLeftovers(dir = tmpdir()): Promise<Leftovers> {
  const dirs: string[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith(SCRATCH_PREFIX)) continue;
    const path = join(dir, name);
    if (!(await ownerAlive(path))) dirs.push(path);
  }
  const vms: Leftovers['vms'] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const m = /process=(bootgate-[^\0,]*)/.exec(cmd);
    if (!m) continue;
    const ppid = await parentPid(Number(entry));
    const parentCmd = ppid ? await readFile(`/proc/${ppid}/cmdline`, 'utf8').catch(() => '') : '';
    const parentIsNode = /(^|\/)node[^\0/]*\0/.test(parentCmd);
    // A VM of the docker provider is its container's first process: the container's labels say
    // whose it is, and the provider's reaper judges it (providers/docker/reaper.ts), not this scan.
    const inContainer = /(^|\/)containerd-shim[^\0]*\0/.test(parentCmd);
    if (!parentIsNode && !inContainer) vms.push({ pid: Number(entry), name: m[1]! });
  }
  return { dirs, vms };
}

/** Remove what findLeftovers found; returns what could not be removed, with why. */
export async function cleanLeftovers(l: Leftovers): Promise<string[]> {
  const problems: string[] = [];
  for (const v of l.vms) {
    try {
      process.kill(v.pid, 'SIGKILL');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') problems.push(`VM ${v.name} (pid ${v.pid}): ${(e as Error).message}`);
    }
  }
  for (const d of l.dirs) await rm(d, { recursive: true, force: true }).catch((e: Error) => problems.push(`${d}: ${e.message}`));
  return problems;
}

/** One line for a user: what was found and removed; undefined when nothing was. */
export function describeLeftovers(l: Leftovers, problems: string[]): string | undefined {
  if (l.dirs.length === 0 && l.vms.length === 0) return undefined;
  const runs = new Set(l.dirs.map((d) => d.slice(d.lastIndexOf(SCRATCH_PREFIX) + SCRATCH_PREFIX.length).replace(/-[^-]*$/, '')));
  const parts = [l.vms.length ? `${l.vms.length} VM(s) killed` : '', l.dirs.length ? `${l.dirs.length} scratch folder(s) removed` : ''].filter(Boolean);
  return `leftovers of earlier runs whose harness died (${[...runs].join(', ') || l.vms.map((v) => v.name).join(', ')}): ${parts.join(', ')}${problems.length ? `; not removed: ${problems.join('; ')}` : ''}`;
}
