import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { runSchema, type RunResult } from '../harness/results/schema.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'bootgate.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the real CLI as a user would, from the compiled dist/ (npm test compiles first). */
export function bootgate(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The run.json whose path `bootgate run` printed as its last line: it exists and fits the schema.
 * On stdout, or on stderr when the run streamed its events to stdout (`--reporter json=-`).
 */
export function printedRun(r: CliResult, on: 'stdout' | 'stderr' = 'stdout'): RunResult {
  const runJson = r[on].trim().split('\n').at(-1)!;
  expect(existsSync(runJson), `run.json printed by bootgate run: ${runJson}`).toBe(true);
  return runSchema.parse(JSON.parse(readFileSync(runJson, 'utf8')));
}

/** VMs of one run still alive: the harness names each after its run (process=bootgate-<run id>...). */
export function vmCount(runId = ''): number {
  try {
    return Number(execFileSync('pgrep', ['-fc', `process=bootgate-${runId}`], { encoding: 'utf8' }).trim());
  } catch {
    return 0; // pgrep exits 1 when nothing matches
  }
}
