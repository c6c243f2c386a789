import { stringify } from 'yaml';
import type { CellResult, RunResult } from '../results/schema.js';
import { bootedCount, cellCrashes, cellTitle, reasonOf, verdictOf } from './model.js';
import { printable } from '../util/printable.js';
import type { ReportContext } from './reporter.js';
import { FileReporter } from './file-reporter.js';

/** TAP 14 escapes `#` and `\` in a description; a description is one line, with no control character. */
const desc = (s: string) => printable(s.replace(/[\r\n]+/g, ' ')).replace(/[\\#]/g, (c) => `\\${c}`);

/** Every string of the YAML diagnostics with its controls shown as \xNN (YAML would quote them, a terminal would run them). */
function printableDeep(v: unknown): unknown {
  if (typeof v === 'string') return printable(v);
  if (Array.isArray(v)) return v.map(printableDeep);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, printableDeep(x)]));
  return v;
}

function diagnostics(cell: CellResult, ctx: ReportContext): Record<string, unknown> | undefined {
  const verdict = verdictOf(cell, ctx.gate);
  const crashes = cellCrashes(cell);
  const allowed = ctx.gate?.cells.find((c) => c.id === cell.id)?.allowedCrashes ?? 0;
  if (verdict === 'pass' && crashes.length === 0) return undefined;
  const d: Record<string, unknown> = {
    message: reasonOf(cell, ctx.gate),
    severity: verdict === 'fail' ? 'fail' : verdict === 'pass' ? 'comment' : 'error',
    verdict,
    cell: cell.id,
    booted: bootedCount(cell),
  };
  if (cell.bootLoop) d.bootLoop = true;
  if (allowed) d.allowedCrashes = allowed;
  if (crashes.length) {
    d.crashes = crashes.map((g) => ({
      title: g.crash.title,
      class: g.crash.class,
      ...(g.crash.module ? { module: g.crash.module } : {}),
      ...(g.crash.function ? { function: g.crash.function } : {}),
      ...(g.crash.code ? { code: g.crash.code } : {}),
      signature: g.crash.signature,
      boots: g.cycles.map((c) => `${c.phase} ${c.index}`),
      consoleLog: g.cycles[0]!.consoleLog,
      ...(g.crash.excerpt ? { excerpt: g.crash.excerpt } : {}),
    }));
  }
  const unhealthy = cell.cycles.filter((c) => c.outcome === 'unhealthy');
  if (unhealthy.length) d.unhealthy = unhealthy.map((c) => ({ cycle: c.index, output: c.health?.output ?? '', ...(c.selftest && !c.selftest.ok ? { selftest: c.selftest.problems } : {}) }));
  return printableDeep(d) as Record<string, unknown>;
}

/** The run as TAP version 14: one test point per cell, YAML diagnostics with the crash. */
export function renderTap(run: RunResult, ctx: ReportContext = {}): string {
  const lines = ['TAP version 14', `# ${desc(`bootgate run ${run.id} (suite ${run.suite.name})`)}`, `1..${run.cells.length}`];
  for (const [i, cell] of run.cells.entries()) {
    const verdict = verdictOf(cell, ctx.gate);
    const ok = verdict === 'pass' || verdict === 'pending';
    const directive = verdict === 'pending' ? ` # SKIP not run to the end (${cell.status})` : '';
    lines.push(`${ok ? 'ok' : 'not ok'} ${i + 1} - ${desc(cellTitle(cell))}${directive}`);
    const d = diagnostics(cell, ctx);
    if (d) {
      lines.push('  ---');
      for (const l of stringify(d, { lineWidth: 0 }).trimEnd().split('\n')) lines.push(`  ${l}`);
      lines.push('  ...');
    }
  }
  const v = ctx.gate?.verdict ?? run.summary.verdict;
  if (v) lines.push(`# verdict ${v}`);
  return lines.join('\n') + '\n';
}

export class TapReporter extends FileReporter {
  readonly name = 'tap';
  protected readonly fileName = 'results.tap';
  protected render(run: RunResult, ctx: ReportContext): string {
    return renderTap(run, ctx);
  }
}
