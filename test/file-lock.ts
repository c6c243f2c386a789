import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The pid a lock file names, or undefined while it is being written or already gone. */
function ownerOf(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * A lock that other processes respect: two `npm test` runs at once (two worktrees on one machine)
 * would otherwise run the same test side by side. The lock is a file created exclusively in the
 * temp folder, holding the owner's pid; a lock whose owner died is taken over. Resolves to the
 * function that releases it.
 */
export async function acquireFileLock(name: string, waitMs = 20 * 60_000): Promise<() => void> {
  const file = join(tmpdir(), `${name}.lock`);
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => {
        if (ownerOf(file) === process.pid) rmSync(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = ownerOf(file);
    // Read again before removing: another waiter may have taken the stale lock over meanwhile.
    if (owner !== undefined && !alive(owner) && ownerOf(file) === owner) {
      rmSync(file, { force: true });
      continue;
    }
    if (Date.now() > until) throw new Error(`${file}: held by process ${owner ?? '?'} for more than ${waitMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
