import { readFile } from 'node:fs/promises';

/** The fields of /proc/PID/stat after the command name, which is in parentheses and may hold spaces or parentheses itself. */
async function statFields(pid: number): Promise<string[] | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat ? stat.slice(stat.lastIndexOf(')') + 2).split(' ') : undefined;
}

/** A process, told from a later one that got its pid: the kernel's start time (clock ticks since boot, field 22). */
export async function processStartTime(pid: number): Promise<string | undefined> {
  return (await statFields(pid))?.[19];
}

export async function parentPid(pid: number): Promise<number | undefined> {
  const f = await statFields(pid);
  return f ? Number(f[1]) : undefined;
}

/** `pid start` of this process, for a file that says who owns something. */
export async function ownerStamp(): Promise<string> {
  return `${process.pid} ${(await processStartTime(process.pid)) ?? ''}`;
}

/** Whether the process an ownerStamp names still runs (the same process, not a later one with its pid). */
export async function stampAlive(stamp: string): Promise<boolean> {
  const [pid, start] = stamp.trim().split(' ');
  if (!pid || !/^\d+$/.test(pid)) return false;
  const now = await processStartTime(Number(pid));
  return now !== undefined && (!start || now === start);
}
