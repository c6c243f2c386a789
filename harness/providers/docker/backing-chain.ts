import { isAbsolute, resolve } from 'node:path';
import { execCapture } from '../../util/exec.js';
import { LabError } from '../../util/errors.js';

/** `qemu-img info --backing-chain --output=json` -> every file of the chain, absolute, top first. */
export function parseBackingChain(json: string): string[] {
  const parsed = JSON.parse(json) as { filename?: string }[] | { filename?: string };
  const list = Array.isArray(parsed) ? parsed : [parsed];
  return list.map((i) => i.filename).filter((f): f is string => typeof f === 'string' && isAbsolute(f)).map((f) => resolve(f));
}

/**
 * The files a disk reads through, itself included: the container must see each at the path
 * written in the file above it. Read on the host (qemu-utils), without starting a container.
 */
export async function backingChain(disk: string, signal?: AbortSignal): Promise<string[]> {
  const r = await execCapture('qemu-img', ['info', '--backing-chain', '--force-share', '--output=json', disk], { signal });
  if (r.code !== 0) throw new LabError('DISK_CHAIN', `cannot read the backing chain of ${disk}: ${r.stderr.trim() || `qemu-img exited with ${r.code}`}`);
  return parseBackingChain(r.stdout);
}
