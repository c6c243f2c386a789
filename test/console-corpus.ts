/**
 * Reference console logs (syzkaller's report test data format: `KEY: value` header lines, a blank
 * line, the log) and how well the Linux console parser does on a set of them: crash / no-crash,
 * false alarms on clean logs, and titles equal to the reference (TITLE or an ALT).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { parseLinuxConsole } from '../harness/detect/linux-console.js';

export interface ConsoleFixture {
  name: string;
  /** The reference title; undefined for a log with no crash. */
  title?: string;
  alts: string[];
  log: string;
}

export function loadConsoleFixtures(dir: string): ConsoleFixture[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((name) => {
      const text = readFileSync(dir + name, 'utf8');
      const sep = text.indexOf('\n\n');
      const header = sep < 0 ? [] : text.slice(0, sep).split('\n');
      const value = (key: string) => header.filter((h) => h.startsWith(`${key}:`)).map((h) => h.slice(key.length + 1).trim());
      const title = value('TITLE')[0];
      return { name, title: title || undefined, alts: value('ALT'), log: sep < 0 ? text : text.slice(sep + 2) };
    });
}

/**
 * The fixed split of the sample: the parity of the first byte of sha256(file name). Even is the
 * half rules may be tuned on, odd the half figures are reported on. It depends on the name only.
 */
export function half(name: string): 'tune' | 'report' {
  const first = createHash('sha256').update(name).digest()[0] as number;
  return first % 2 === 0 ? 'tune' : 'report';
}

export interface CorpusScore {
  logs: number;
  /** Logs whose crash / no-crash answer is right. */
  answered: number;
  clean: number;
  /** Clean logs the parser reported a crash for. */
  falseAlarms: number;
  crashes: number;
  /** Crash logs whose first title is the reference title or one of its ALTs. */
  titled: number;
  /** One line per wrong answer or title, for SHOW_TITLE_MISSES. */
  misses: string[];
}

export function scoreCorpus(fixtures: ConsoleFixture[]): CorpusScore {
  const s: CorpusScore = { logs: fixtures.length, answered: 0, clean: 0, falseAlarms: 0, crashes: 0, titled: 0, misses: [] };
  for (const f of fixtures) {
    const records = parseLinuxConsole(f.log);
    const got = records[0]?.title;
    if ((records.length > 0) === (f.title !== undefined)) s.answered++;
    if (f.title === undefined) {
      s.clean++;
      if (records.length > 0) {
        s.falseAlarms++;
        s.misses.push(`${f.name}: clean, got ${JSON.stringify(got)}`);
      }
      continue;
    }
    s.crashes++;
    if (got !== undefined && (got === f.title || f.alts.includes(got))) s.titled++;
    else s.misses.push(`${f.name}: want ${JSON.stringify(f.title)} got ${JSON.stringify(got)}`);
  }
  return s;
}

const pct = (n: number, d: number) => (d === 0 ? '-' : `${((n / d) * 100).toFixed(1)}%`);

/** `crash/no-crash 113/113 (100.0%), false alarms 0/9 clean, titles 97/104 (93.3%)`. */
export function describeScore(s: CorpusScore): string {
  return (
    `crash/no-crash ${s.answered}/${s.logs} (${pct(s.answered, s.logs)}), ` +
    `false alarms ${s.falseAlarms}/${s.clean} clean, titles ${s.titled}/${s.crashes} (${pct(s.titled, s.crashes)})`
  );
}
