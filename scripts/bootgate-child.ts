import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../harness/util/paths.js';

export const ROOT = projectRoot();
export const BIN = join(ROOT, 'bin', 'bootgate.js');

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `bootgate ARGS` as a child process (CI=true: plain output), killed with SIGKILL after killAfterMs if given. */
export function bootgateChild(args: string[], killAfterMs?: number): Promise<ChildResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, CI: 'true' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
