/**
 * The Linux console parser against 228 real kernel console logs (syzkaller's report test data,
 * Apache 2.0: see testdata/linux-console/README.md), split in two fixed halves by the parity of
 * the first byte of sha256(file name): rules may be developed on the tune half; the report half
 * is what the figures claim. Both halves' figures are printed on every run; the floors hold on the
 * report half. No rule names a fixture or its content.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { crashRecordSchema } from '../results/crash-record.js';
import { LinuxConsoleDetector, parseLinuxConsole } from './linux-console.js';
import { describeScore, half, loadConsoleFixtures, scoreCorpus } from '../../test/console-corpus.js';

const DIR = fileURLToPath(new URL('./testdata/linux-console/', import.meta.url));

const fixtures = loadConsoleFixtures(DIR);
const tune = fixtures.filter((f) => half(f.name) === 'tune');
const report = fixtures.filter((f) => half(f.name) === 'report');

function show(label: string, s: ReturnType<typeof scoreCorpus>): void {
  console.log(`${label}: ${describeScore(s)}`);
  if (process.env.SHOW_TITLE_MISSES) console.log(s.misses.join('\n'));
}

describe('Linux console fixtures', () => {
  it('holds the whole corpus, split in two fixed halves', () => {
    expect(fixtures.length).toBe(228);
    expect(tune.length + report.length).toBe(228);
    // The split is by name only: a half with no crash or no clean log would measure nothing.
    for (const h of [tune, report]) {
      expect(h.some((f) => f.title === undefined)).toBe(true);
      expect(h.filter((f) => f.title !== undefined).length).toBeGreaterThan(80);
    }
  });

  it('tune half (sha256(name)[0] even): figures printed, no floor', () => {
    const s = scoreCorpus(tune);
    show(`tune half (${tune.length} logs)`, s);
    expect(s.logs).toBe(tune.length);
  });

  it('report half (sha256(name)[0] odd): every crash / no-crash right, no false alarm, >= 85% titles', () => {
    const s = scoreCorpus(report);
    show(`report half (${report.length} logs)`, s);
    expect(s.answered).toBe(s.logs);
    expect(s.falseAlarms).toBe(0);
    expect(s.titled / s.crashes).toBeGreaterThanOrEqual(0.85);
  });

  it('produces valid records, the same when streamed in odd chunks', () => {
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (const f of fixtures) {
      const whole = parseLinuxConsole(f.log);
      for (const r of whole) expect(crashRecordSchema.safeParse(r).success, f.name).toBe(true);
      const d = new LinuxConsoleDetector();
      const streamed = [];
      for (let i = 0; i < f.log.length; ) {
        const n = 1 + Math.floor(rand() * 600);
        streamed.push(...d.push(f.log.slice(i, i + n)));
        i += n;
      }
      streamed.push(...d.end());
      // Streaming returns records as reports complete; the set is the same.
      expect(streamed.map((r) => r.title).sort(), f.name).toEqual(whole.map((r) => r.title).sort());
      if (whole.length > 0) expect(d.crashing, f.name).toBe(true);
    }
  });
});
