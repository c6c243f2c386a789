import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

/** `npm run bench:aa` with few boots: the full 50 are the benchmark's, not CI's. */
function benchAa(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist/scripts/bench-aa.js')], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('A/A: clean boots of a benign agent, soaked, give no crash record and no fail', () => {
  it('2 boots on 2 images (6.1 and 6.12)', async () => {
    const r = await benchAa({ AA_BOOTS: '2', AA_IMAGES: 'debian-6.1-generic,debian-6.12-generic', AA_CONCURRENCY: '2' });
    console.log(r.stdout);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { boots: number; crashRecords: number; falseFails: number; errors: number; images: number };
    expect(summary, r.stderr.slice(-4000)).toMatchObject({ boots: 2, images: 2, crashRecords: 0, falseFails: 0, errors: 0 });
    expect(r.code).toBe(0);
  });
});
