import { ConfigError } from '../util/errors.js';
import { HtmlReporter } from './html-reporter.js';
import { JsonEventsReporter } from './json-reporter.js';
import { JunitReporter } from './junit-reporter.js';
import { LiveReporter, type LiveStream } from './live-reporter.js';
import { MarkdownReporter } from './markdown-reporter.js';
import { PlainReporter } from './plain-reporter.js';
import type { Reporter } from './reporter.js';
import { TapReporter } from './tap-reporter.js';

/**
 * Console reporters follow a run as it goes, on stderr; file reporters write one file into the run
 * folder when it ends; stream reporters write machine-readable events as they happen, to a target
 * given as `name=TARGET` (a file, or - for stdout).
 */
export const CONSOLE_REPORTERS = ['live', 'plain'] as const;
export const FILE_REPORTERS = ['junit', 'tap', 'markdown', 'html'] as const;
export const STREAM_REPORTERS = ['json'] as const;
export const REPORTER_NAMES = [...CONSOLE_REPORTERS, ...FILE_REPORTERS, ...STREAM_REPORTERS] as const;
export type ReporterName = (typeof REPORTER_NAMES)[number];

/** A reporter asked for, with its target when it takes one (`json=events.ndjson`, `json=-`). */
export interface ReporterSpec {
  name: ReporterName;
  target?: string;
}

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

/**
 * `--reporter` values, repeated and/or comma-separated, validated and deduplicated in order. A
 * stream reporter's target runs from its `=` to the end of the value, commas included
 * (`--reporter html,json=out/a,b.ndjson`), so it comes last in a value.
 */
export function parseReporterSpecs(values: string[]): ReporterSpec[] {
  const out: ReporterSpec[] = [];
  for (const value of values) {
    let rest = value;
    while (rest.length) {
      const comma = rest.indexOf(',');
      const eq = rest.indexOf('=');
      const withTarget = eq >= 0 && (comma < 0 || eq < comma);
      const item = withTarget ? rest : comma < 0 ? rest : rest.slice(0, comma);
      rest = withTarget || comma < 0 ? '' : rest.slice(comma + 1);
      const [raw, target] = withTarget ? [item.slice(0, eq), item.slice(eq + 1)] : [item, undefined];
      const n = raw.trim().toLowerCase();
      if (!n) continue;
      if (!(REPORTER_NAMES as readonly string[]).includes(n)) {
        throw new ConfigError('USAGE', `unknown reporter ${JSON.stringify(raw.trim())} (known: ${REPORTER_NAMES.join(', ')})`, { field: '--reporter' });
      }
      const name = n as ReporterName;
      if (target !== undefined && !(STREAM_REPORTERS as readonly string[]).includes(name)) {
        throw new ConfigError('USAGE', `reporter ${name} takes no target (${JSON.stringify(item.trim())}): only ${STREAM_REPORTERS.join(', ')} does, as ${STREAM_REPORTERS[0]}=FILE or ${STREAM_REPORTERS[0]}=-`, { field: '--reporter' });
      }
      if (target === '') throw new ConfigError('USAGE', `${name}= needs a file, or - for standard output`, { field: '--reporter' });
      const seen = out.find((s) => s.name === name);
      if (seen && seen.target !== target) throw new ConfigError('USAGE', `reporter ${name} given twice with different targets (${seen.target ?? 'the run folder'}, ${target ?? 'the run folder'})`, { field: '--reporter' });
      if (!seen) out.push(target === undefined ? { name } : { name, target });
    }
  }
  return out;
}

/** The names alone, for commands whose reporters take no target (bootgate report). */
export function parseReporterNames(values: string[]): ReporterName[] {
  return parseReporterSpecs(values).map((s) => s.name);
}

/** live on a terminal, plain in a pipe, a log file, CI or a dumb terminal. */
export const defaultConsoleReporter = (env: ConsoleEnv): 'live' | 'plain' => (canRedraw(env) ? 'live' : 'plain');

/**
 * The reporters of a run: the ones asked for, plus the default console reporter when none of
 * them is one (a run always shows its progress). `live` becomes `plain` off a TTY, under CI or
 * with TERM=dumb; one console reporter at most.
 */
export function runReporterNames(asked: ReporterName[], env: ConsoleEnv): ReporterName[] {
  const files = asked.filter((n) => !(CONSOLE_REPORTERS as readonly string[]).includes(n));
  const consoles = asked.filter((n) => (CONSOLE_REPORTERS as readonly string[]).includes(n));
  let con: 'live' | 'plain' = consoles.length ? (consoles.includes('live') ? 'live' : 'plain') : defaultConsoleReporter(env);
  if (con === 'live' && !canRedraw(env)) con = 'plain';
  return [con, ...files];
}

interface ReporterOptions {
  stream: LiveStream & { isTTY?: boolean };
  bootsPerCell?: number;
  /** A stream reporter's target: a file, - for stdout; none: a file in the run folder. */
  target?: string;
}

/** Every reporter by name: adding one is a class in report/ and a line here (and in the name lists above). */
const REPORTERS: Record<ReporterName, (o: ReporterOptions) => Reporter> = {
  live: (o) => new LiveReporter(o.stream, { bootsPerCell: o.bootsPerCell }),
  plain: (o) => new PlainReporter((l) => o.stream.write(l + '\n')),
  junit: () => new JunitReporter(),
  tap: () => new TapReporter(),
  markdown: () => new MarkdownReporter(),
  html: () => new HtmlReporter(),
  json: (o) => new JsonEventsReporter(o.target),
};

export function createReporter(name: ReporterName, o: { stream?: LiveStream & { isTTY?: boolean }; bootsPerCell?: number; target?: string } = {}): Reporter {
  return REPORTERS[name]({ stream: o.stream ?? process.stderr, bootsPerCell: o.bootsPerCell, target: o.target });
}
