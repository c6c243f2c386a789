import type { CellResult, RunResult } from '../results/schema.js';
import { allCycles, cdata, cellCrashes, columnKey, escapeXml, reasonOf, selftestProblems, spanMs, verdictOf } from './model.js';
import { describeCycle } from './plain-reporter.js';
import type { ReportContext } from './reporter.js';
import { FileReporter } from './file-reporter.js';
import { plural } from '../util/text.js';

const time = (ms?: number) => ((ms ?? 0) / 1000).toFixed(3);
/** JUnit timestamps carry no zone: UTC, to the second. */
const stamp = (iso?: string) => (iso ? new Date(iso).toISOString().slice(0, 19) : undefined);
const attrs = (o: Record<string, string | number | undefined>) =>
  Object.entries(o)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join('');
const firstLine = (s: string) => s.split('\n')[0]!;

function testcase(run: RunResult, cell: CellResult, ctx: ReportContext): { xml: string; kind: 'pass' | 'failure' | 'error' | 'skipped' } {
  const verdict = verdictOf(cell, ctx.gate);
  const reason = reasonOf(cell, ctx.gate);
  const classname = `${run.suite.name}.${cell.image.name}`;
  const head = `    <testcase${attrs({ name: columnKey(cell), classname, time: time(spanMs(cell.startedAt, cell.endedAt)) })}>`;
  const body: string[] = [];
  let kind: 'pass' | 'failure' | 'error' | 'skipped' = 'pass';
  const crashes = cellCrashes(cell);
  if (verdict === 'pending') {
    kind = 'skipped';
    body.push(`      <skipped${attrs({ message: `not run to the end (${cell.status})` })}/>`);
  } else if (verdict === 'error') {
    kind = 'error';
    // Guest text reaches XML only through escapeXml and cdata, which show controls as \xNN.
    const detail = [reason, ...crashes.map((g) => `${g.crash.title}\n${g.crash.excerpt ?? ''}`)].join('\n\n');
    body.push(`      <error${attrs({ message: firstLine(reason), type: 'lab-error' })}>${cdata(detail)}</error>`);
  } else if (verdict === 'fail') {
    kind = 'failure';
    const agentCrashes = crashes.filter((g) => g.cycles.some((c) => c.phase === 'agent'));
    if (agentCrashes.length === 0) {
      // The self-test's failing points, boot by boot, under the verdict.
      const points = selftestProblems(cell);
      const text = points.length ? `${reason}\n\nself-test:\n${points.join('\n')}` : reason;
      body.push(`      <failure${attrs({ message: firstLine(reason), type: 'agent' })}>${cdata(text)}</failure>`);
    }
    // One <failure> per distinct crash: its title, where it hit, and the console excerpt.
    for (const g of agentCrashes) {
      const c = g.crash;
      const where = [c.class && `class ${c.class}`, c.module && `module ${c.module}`, c.function && `function ${c.function}`, c.code && `code ${c.code}`, c.tainted && `tainted ${c.tainted}`, `signature ${c.signature.slice(0, 12)}`].filter(Boolean).join(', ');
      const text = [
        c.title,
        where,
        `${g.cycles.map((x) => `${x.phase} ${x.index}`).join(', ')} (${plural(g.cycles.length, 'boot')})`,
        `console log: ${g.cycles[0]!.consoleLog}`,
        `verdict: ${reason}`,
        '',
        c.excerpt ?? '(no console excerpt)',
      ].join('\n');
      body.push(`      <failure${attrs({ message: agentCrashes.length === 1 ? firstLine(reason) : c.title, type: c.class })}>${cdata(text)}</failure>`);
    }
  }
  const out = allCycles(cell).map((c) => `${describeCycle(c)}  [${c.consoleLog}]`);
  if (verdict === 'pass' && reason) out.push(`verdict: ${reason}`);
  if (out.length) body.push(`      <system-out>${cdata(out.join('\n'))}</system-out>`);
  return { xml: [head, ...body, '    </testcase>'].join('\n'), kind };
}

/** The run as JUnit XML (the common Ant/Jenkins form): one testsuite per image, a cell is a testcase. */
export function renderJunit(run: RunResult, ctx: ReportContext = {}): string {
  const images = [...new Set(run.cells.map((c) => c.image.name))];
  const suites: string[] = [];
  const totals = { tests: 0, failures: 0, errors: 0 };
  for (const [i, image] of images.entries()) {
    const cells = run.cells.filter((c) => c.image.name === image);
    const cases = cells.map((c) => testcase(run, c, ctx));
    const n = (k: string) => cases.filter((c) => c.kind === k).length;
    const counts = { tests: cases.length, failures: n('failure'), errors: n('error'), skipped: n('skipped') };
    totals.tests += counts.tests;
    totals.failures += counts.failures;
    totals.errors += counts.errors;
    const ms = cells.reduce((a, c) => a + (spanMs(c.startedAt, c.endedAt) ?? 0), 0);
    const kernel = cells.find((c) => c.image.kernelRelease)?.image.kernelRelease;
    suites.push(
      [
        `  <testsuite${attrs({ name: `${run.suite.name}.${image}`, tests: counts.tests, failures: counts.failures, errors: counts.errors, skipped: counts.skipped, time: time(ms), timestamp: stamp(cells.map((c) => c.startedAt).filter(Boolean).sort()[0] ?? run.startedAt), hostname: run.host.hostname, id: i, package: run.suite.name })}>`,
        '    <properties>',
        ...[
          ['bootgate.run', run.id],
          // The run's start: the root <testsuites> may not carry a timestamp (Jenkins xUnit's schema).
          ['bootgate.run.startedAt', run.startedAt],
          ['bootgate.suite.file', run.suite.file],
          ['bootgate.suite.sha256', run.suite.sha256],
          ['bootgate.image', image],
          ['bootgate.kernelRelease', kernel],
          ['bootgate.accel', run.host.accel],
          ['bootgate.version', run.versions.bootgate],
        ]
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => `      <property${attrs({ name: k, value: v })}/>`),
        '    </properties>',
        ...cases.map((c) => c.xml),
        '  </testsuite>',
      ].join('\n'),
    );
  }
  // Only the root attributes both the common schema and Jenkins xUnit's junit-10.xsd allow: the
  // skipped total is the sum of the testsuites' own, the run's start is a property of each testsuite.
  const head = `<testsuites${attrs({ name: `bootgate ${run.suite.name} ${run.id}`, ...totals, time: time(spanMs(run.startedAt, run.endedAt)) })}>`;
  return ['<?xml version="1.0" encoding="UTF-8"?>', head, ...suites, '</testsuites>', ''].join('\n');
}

export class JunitReporter extends FileReporter {
  readonly name = 'junit';
  protected readonly fileName = 'junit.xml';
  protected render(run: RunResult, ctx: ReportContext): string {
    return renderJunit(run, ctx);
  }
}
