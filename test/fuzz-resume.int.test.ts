import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fuzzSchema, type FuzzResult } from '../harness/results/fuzz-schema.js';
import { BIN, bootgate, ROOT, vmCount } from './cli-helpers.js';

/**
 * A fuzz corpus stopped and taken up again, for real (two boots of the sensor's guest): a first run
 * of 20 mutants from content 290 (seed value 1: its first crash comes within them), then the same
 * corpus resumed, interrupted by Ctrl-C once it is past 50.
 */
const fuzzJson = (path: string): FuzzResult => fuzzSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
const results = mkdtempSync(join(tmpdir(), 'bootgate-fuzz-resume-'));

describe('bootgate fuzz: a resumable corpus', () => {
  it('resumes its corpus where it stopped, and Ctrl-C keeps what was found (exit 3, interrupted)', async () => {
    const first = await bootgate(['fuzz', 'suites/quickstart.yaml', '--content', '290', '--mutants', '20', '--seed', '1', '--no-confirm', '--results', results], { env: { CI: 'true' } });
    expect(first.code, first.stderr).toBe(1);
    const kmodCorpus = dirname(first.stdout.trim().split('\n').at(-1)!);
    const before = fuzzJson(join(kmodCorpus, 'fuzz.json'));
    expect(before.stats.mutants).toBe(20);
    expect(before.crashes.some((c) => c.crash.function === 'sensor_parse_channel')).toBe(true);
    const child = spawn(process.execPath, [BIN, 'fuzz', 'suites/quickstart.yaml', '--content', '290', '--corpus', kmodCorpus, '--mutants', '500', '--no-confirm'], { cwd: ROOT, env: { ...process.env, CI: 'true' } });
    let err = '';
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        // Interrupt once it fuzzes again past where the first run stopped.
        if (/\[\d\d:\d\d\] 50 mutants/.test(err) && !child.killed) child.kill('SIGINT');
      });
      child.on('close', resolve);
    });
    expect(code, err).toBe(3);
    expect(err).toMatch(/seed value 1:/); // the corpus's own seed value
    const f = fuzzJson(join(kmodCorpus, 'fuzz.json'));
    expect(f.status).toBe('interrupted');
    expect(f.stats.mutants).toBeGreaterThanOrEqual(50);
    expect(f.stats.mutants).toBeLessThan(500);
    expect(f.crashes.some((c) => c.crash.function === 'sensor_parse_channel' && c.mutant === before.crashes[0]!.mutant)).toBe(true);
    expect(f.gate).toMatchObject({ verdict: 'error', exitCode: 3 });
    expect(f.gate!.reasons.join('\n')).toMatch(/sensor_parse_channel/);
    expect(vmCount(f.id)).toBe(0);
  }, 1_200_000);
});
