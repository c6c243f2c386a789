/**
 * bin/bootgate.js, the launcher an install links to: a missing build is one line and exit 2, not
 * ERR_MODULE_NOT_FOUND with a stack trace; a reader that closes the pipe early is no error.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bootgate, BIN } from './cli-helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'bootgate-launcher-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('bin/bootgate.js', () => {
  it('without dist/: one line naming what is missing and how to build it, exit 2', async () => {
    mkdirSync(join(tmp, 'bin'));
    copyFileSync(BIN, join(tmp, 'bin', 'bootgate.js'));
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const c = spawn(process.execPath, [join(tmp, 'bin', 'bootgate.js'), '--version']);
      let stderr = '';
      c.stderr.on('data', (d) => (stderr += d));
      c.on('close', (code) => resolve({ code, stderr }));
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`bootgate: error: ${join(tmp, 'dist', 'harness', 'cli', 'main.js')} is missing: in a checkout, run \`npm run build\`; an installed package ships it, so reinstall it\n`);
  });

  it('stdout closed by its reader (| head): the command ends with its own exit code, no stack trace', async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const c = spawn(process.execPath, [BIN, 'detect', join('test', 'fixtures', 'sensor-291-debian-6.1.log')], { cwd: join(BIN, '..', '..') });
      c.stdout.destroy(); // the reader is gone before anything is written
      let stderr = '';
      c.stderr.on('data', (d) => (stderr += d));
      c.on('close', (code) => resolve({ code, stderr }));
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect((await bootgate(['detect', join('test', 'fixtures', 'sensor-291-debian-6.1.log')])).code).toBe(1);
  });
});
