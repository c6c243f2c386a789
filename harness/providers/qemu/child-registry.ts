import type { ChildProcess } from 'node:child_process';

/**
 * Every VM process this harness started. If the harness exits by any path that skips a
 * dispose() (an uncaught error, process.exit), the exit hook still kills them: no VM is
 * left running behind a finished command.
 */
const live = new Set<ChildProcess>();
let hooked = false;

export function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const c of live) {
        try {
          c.kill('SIGKILL');
        } catch {
          /* already gone */
        }
      }
    });
  }
}

export function liveCount(): number {
  return live.size;
}
