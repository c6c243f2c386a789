import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { processStartTime, stampAlive } from '../../util/process-identity.js';
import type { Owner } from './labels.js';

/** This boot of this host: a pid from an earlier boot names nobody. */
export async function bootId(): Promise<string> {
  return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => 'unknown')).trim();
}

/** This harness process, as its containers' labels name it. */
export async function thisOwner(): Promise<Owner> {
  return { pid: process.pid, pidStart: (await processStartTime(process.pid)) ?? '', host: hostname(), bootId: await bootId() };
}

/** Whether that process (same pid, same start time) still runs on this host. */
export function ownerAlive(pid: number, pidStart: string): Promise<boolean> {
  return stampAlive(`${pid} ${pidStart}`);
}
