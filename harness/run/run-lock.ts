import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../util/errors.js';
import { ownerStamp, stampAlive } from '../util/process-identity.js';

export const LOCK_FILE = 'lock';

/**
 * One harness per run folder: `lock` holds the owner's pid and start time. A second process
 * (a resume while the run still goes, two resumes at once) is refused, naming the owner; the
 * lock of a harness that died is taken over. Returns the release.
 */
export async function lockRun(runDir: string): Promise<() => Promise<void>> {
  const path = join(runDir, LOCK_FILE);
  const stamp = await ownerStamp();
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(`${stamp}\n`);
      await fh.close();
      return () => unlink(path).catch(() => undefined);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = (await readFile(path, 'utf8').catch(() => '')).trim();
    if (owner && (await stampAlive(owner))) {
      throw new ConfigError('RUN_LOCKED', `the run is in use by another bootgate (pid ${owner.split(' ')[0]}): wait for it, or stop it first`, { file: runDir });
    }
    // Its owner is gone (killed): the lock is stale. Remove it and race for it again.
    await unlink(path).catch(() => undefined);
  }
  // Lost the race to another process that took the stale lock.
  const owner = (await readFile(path, 'utf8').catch(() => '?')).trim();
  throw new ConfigError('RUN_LOCKED', `the run is in use by another bootgate (pid ${owner.split(' ')[0]})`, { file: runDir });
}

