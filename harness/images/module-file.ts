import { copyFile } from 'node:fs/promises';
import { exec } from '../util/exec.js';

/** Copy a kernel module as a plain .ko: busybox insmod and our modinfo reader take no .ko.xz / .ko.zst. */
export async function decompressModule(src: string, dest: string, signal?: AbortSignal): Promise<void> {
  if (src.endsWith('.ko')) return copyFile(src, dest);
  const tool = src.endsWith('.xz') ? 'xz' : src.endsWith('.zst') ? 'zstd' : 'gzip';
  await exec('sh', ['-c', `${tool} -dc "$1" > "$2"`, 'sh', src, dest], { signal });
}
