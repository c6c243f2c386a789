/**
 * The Linux console parser against 228 real kernel console logs (syzkaller's report test
 * data, Apache 2.0: see testdata/linux-console/README.md). Every log must get the right
 * crash / no-crash answer; the share of first titles equal to syzkaller's (TITLE or an ALT)
 * is printed and must not fall below its floor.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { crashRecordSchema } from '../results/crash-record.js';
import { LinuxConsoleDetector, parseLinuxConsole } from './linux-console.js';

const DIR = fileURLToPath(new URL('./testdata/linux-console/', import.meta.url));

/** Exact-title floor: just under what the parser achieves (194 of 217), so a regression fails. */
const TITLE_FLOOR = 192;

interface Fixture {
  name: string;
  title?: string;
  alts: string[];
  log: string;
}

function load(): Fixture[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((name) => {
      const text = readFileSync(DIR + name, 'utf8');
      const sep = text.indexOf('\n\n');
      const header = text.slice(0, sep).split('\n');
      const value = (key: string) => header.filter((h) => h.startsWith(`${key}:`)).map((h) => h.slice(key.length + 1).trim());
      const title = value('TITLE')[0];
      return { name, title: title || undefined, alts: value('ALT'), log: text.slice(sep + 2) };
    });
}

const fixtures = load();

describe('Linux console fixtures', () => {
  it('holds the whole corpus', () => {
    expect(fixtures.length).toBe(228);
  });

  it('answers crash / no crash right for every log', () => {
    const wrong = fixtures
      .filter((f) => (parseLinuxConsole(f.log).length > 0) !== (f.title !== undefined))
      .map((f) => f.name);
    expect(wrong).toEqual([]);
  });

  it('matches titles', () => {
    const crashes = fixtures.filter((f) => f.title !== undefined);
    const misses: string[] = [];
    let matched = 0;
    for (const f of crashes) {
      const got = parseLinuxConsole(f.log)[0]?.title;
      if (got !== undefined && (got === f.title || f.alts.includes(got))) matched++;
      else misses.push(`${f.name}: want ${JSON.stringify(f.title)} got ${JSON.stringify(got)}`);
    }
    const pct = ((matched / crashes.length) * 100).toFixed(1);
    console.log(`title match: ${matched}/${crashes.length} (${pct}%)`);
    if (process.env.SHOW_TITLE_MISSES) console.log(misses.join('\n'));
    expect(matched).toBeGreaterThanOrEqual(TITLE_FLOOR);
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
