import { ConfigError } from '../util/errors.js';
import { HtmlReporter } from './html-reporter.js';
import { JunitReporter } from './junit-reporter.js';
import { LiveReporter, type LiveStream } from './live-reporter.js';
import { MarkdownReporter } from './markdown-reporter.js';
import { PlainReporter } from './plain-reporter.js';
import type { Reporter } from './reporter.js';
import { TapReporter } from './tap-reporter.js';

/** Console reporters follow a run as it goes; file reporters write one file into the run folder when it ends. */
export const CONSOLE_REPORTERS = ['live', 'plain'] as const;
export const FILE_REPORTERS = ['junit', 'tap', 'markdown', 'html'] as const;
export const REPORTER_NAMES = [...CONSOLE_REPORTERS, ...FILE_REPORTERS] as const;
export type ReporterName = (typeof REPORTER_NAMES)[number];

/** The file each file reporter writes, in the run folder. */
export const REPORTER_FILES: Record<(typeof FILE_REPORTERS)[number], string> = { junit: 'junit.xml', tap: 'results.tap', markdown: 'summary.md', html: 'report.html' };

export interface ConsoleEnv {
  isTTY: boolean;
  /** CI is set to anything but '', 'false' or '0'. */
  ci: boolean;
  /** TERM=dumb: a terminal that cannot move the cursor (Emacs shell buffers, some CI log viewers). */
  dumb: boolean;
}

export function consoleEnv(stream: { isTTY?: boolean } = process.stderr, env: NodeJS.ProcessEnv = process.env): ConsoleEnv {
  const ci = env.CI !== undefined && !['', 'false', '0'].includes(env.CI.toLowerCase());
  return { isTTY: stream.isTTY === true, ci, dumb: env.TERM === 'dumb' };
}

/** The live view redraws in place: it needs a terminal that moves the cursor, and a person watching. */
const canRedraw = (env: ConsoleEnv) => env.isTTY && !env.ci && !env.dumb;

/** `--reporter` values, repeated and/or comma-separated, validated and deduplicated in order. */
export function parseReporterNames(values: string[]): ReporterName[] {
  const out: ReporterName[] = [];
  for (const v of values.flatMap((x) => x.split(','))) {
    const n = v.trim().toLowerCase();
    if (!n) continue;
    if (!(REPORTER_NAMES as readonly string[]).includes(n)) {
      throw new ConfigError('USAGE', `unknown reporter ${JSON.stringify(v.trim())} (known: ${REPORTER_NAMES.join(', ')})`, { field: '--reporter' });
    }
    if (!out.includes(n as ReporterName)) out.push(n as ReporterName);
  }
  return out;
}

/** live on a terminal, plain in a pipe, a log file, CI or a dumb terminal. */
export const defaultConsoleReporter = (env: ConsoleEnv): 'live' | 'plain' => (canRedraw(env) ? 'live' : 'plain');

/**
 * The reporters of a run: the ones asked for, plus the default console reporter when none of
 * them is one (a run always shows its progress). `live` becomes `plain` off a TTY, under CI or
 * with TERM=dumb; one console reporter at most.
 */
export function runReporterNames(asked: ReporterName[], env: ConsoleEnv): ReporterName[] {
  const files = asked.filter((n) => (FILE_REPORTERS as readonly string[]).includes(n));
  const consoles = asked.filter((n) => (CONSOLE_REPORTERS as readonly string[]).includes(n));
  let con: 'live' | 'plain' = consoles.length ? (consoles.includes('live') ? 'live' : 'plain') : defaultConsoleReporter(env);
  if (con === 'live' && !canRedraw(env)) con = 'plain';
  return [con, ...files];
}

interface ReporterOptions {
  stream: LiveStream & { isTTY?: boolean };
  bootsPerCell?: number;
}

/** Every reporter by name: adding one is a class in report/ and a line here (and in the name lists above). */
const REPORTERS: Record<ReporterName, (o: ReporterOptions) => Reporter> = {
  live: (o) => new LiveReporter(o.stream, { bootsPerCell: o.bootsPerCell }),
  plain: (o) => new PlainReporter((l) => o.stream.write(l + '\n')),
  junit: () => new JunitReporter(),
  tap: () => new TapReporter(),
  markdown: () => new MarkdownReporter(),
  html: () => new HtmlReporter(),
};

export function createReporter(name: ReporterName, o: { stream?: LiveStream & { isTTY?: boolean }; bootsPerCell?: number } = {}): Reporter {
  return REPORTERS[name]({ stream: o.stream ?? process.stderr, bootsPerCell: o.bootsPerCell });
}
