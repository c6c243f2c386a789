import type { RunResult } from '../results/schema.js';
import { bootedCount, escapeHtml, matrixOf, reasonOf, runVerdictOf, secs, selftestProblems, spanMs, verdictOf, type CellVerdict } from './model.js';
import { printable, printableLine } from '../util/printable.js';
import type { ReportContext } from './reporter.js';
import { FileReporter } from './file-reporter.js';
import { maxOf } from '../util/arrays.js';

const ICON: Record<string, string> = { pass: '✅', fail: '❌', error: '⚠️', inconclusive: '⚠️', pending: '⏳', running: '⏳' };

/** Text in Markdown (and a table cell): no markup, no HTML, no control character, one line. */
export function md(s: string): string {
  return printable(s)
    .replace(/[\\`*_[\]|#~!]/g, (c) => `\\${c}`)
    .replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!)
    .replace(/\s*[\r\n]+\s*/g, ' ');
}

/** A fenced block that no backtick run inside the text can close; controls shown as \xNN. */
function fence(raw: string, lang = 'text'): string {
  const text = printable(raw);
  const longest = maxOf((text.match(/`+/g) ?? []).map((m) => m.length), 2);
  const f = '`'.repeat(longest + 1);
  return `${f}${lang}\n${text}\n${f}`;
}

const word = (v: CellVerdict) => v;

/** A summary for a CI job page (GitHub's $GITHUB_STEP_SUMMARY, GitLab, a PR comment): verdict, matrix, crashes. */
export function renderMarkdown(run: RunResult, ctx: ReportContext = {}): string {
  const gate = ctx.gate;
  const rv = runVerdictOf(run, gate);
  const s = run.summary;
  const out: string[] = [];
  out.push(`## ${ICON[rv.verdict] ?? ''} bootgate ${md(run.suite.name)}: ${rv.verdict.toUpperCase()}${rv.exitCode !== undefined ? ` (exit ${rv.exitCode})` : ''}`);
  out.push('');
  const took = spanMs(run.startedAt, run.endedAt);
  out.push(`Run \`${printableLine(run.id).replace(/`/g, '')}\`, ${run.status}: ${s.cells} cells, ${s.pass} pass, ${s.fail} fail, ${s.error} error${s.pending ? `, ${s.pending} pending` : ''}. Started ${md(run.startedAt)}${took !== undefined ? `, took ${secs(took)}` : ''}; ${md(run.host.provider)} on ${md(run.host.hostname)}.`);
  out.push('');
  if (gate) {
    out.push(`**Gate** (policy from ${md(gate.policy.source)}): **${gate.verdict}**`);
    out.push('');
    for (const r of gate.reasons) out.push(`- ${md(r)}`);
    out.push('');
  }

  out.push('### Matrix');
  out.push('');
  const m = matrixOf(run);
  out.push(`| image | ${m.columns.map((c) => md(c.key)).join(' | ')} |`);
  out.push(`|---|${m.columns.map(() => '---').join('|')}|`);
  for (const img of m.images) {
    const row = m.columns.map((col) => {
      const c = m.at(img, col.key);
      if (!c) return '';
      const v = verdictOf(c, gate);
      return `${ICON[v]} ${word(v)} ${bootedCount(c)}${c.bootLoop ? ' boot loop' : ''}`;
    });
    out.push(`| ${md(img)} | ${row.join(' | ')} |`);
  }
  out.push('');
  const notPass = run.cells.filter((c) => verdictOf(c, gate) !== 'pass');
  if (notPass.length) {
    out.push('| cell | verdict | reason |');
    out.push('|---|---|---|');
    for (const c of notPass) out.push(`| ${md(c.id)} | ${word(verdictOf(c, gate))} | ${md(reasonOf(c, gate))} |`);
    out.push('');
  }

  const selftests = run.cells.flatMap((c) => selftestProblems(c).map((p) => [c.id, p] as const));
  if (selftests.length) {
    out.push('### Self-test failures');
    out.push('');
    out.push('| cell | boot: problem |');
    out.push('|---|---|');
    for (const [cell, p] of selftests.slice(0, 200)) out.push(`| ${md(cell)} | ${md(p)} |`);
    if (selftests.length > 200) out.push(`| | ${selftests.length - 200} more lines in run.json |`);
    out.push('');
  }

  if (gate) {
    out.push('<details><summary>Gate rules</summary>');
    out.push('');
    out.push('| rule | threshold | actual | outcome | reason |');
    out.push('|---|---|---|---|---|');
    for (const r of gate.rules) out.push(`| ${md(r.rule)} | ${md(String(r.threshold ?? ''))} | ${md(String(r.actual ?? ''))} | ${r.outcome} | ${md(r.reason)} |`);
    out.push('');
    out.push('</details>');
    out.push('');
  }

  out.push('### Crashes');
  out.push('');
  if (run.crashes.length === 0) {
    out.push('No crash.');
    out.push('');
  } else {
    out.push('| crash | class | module | boots | where |');
    out.push('|---|---|---|---|---|');
    for (const g of run.crashes) {
      const where = [...new Set(g.hits.map((h) => h.cell))].map((cell) => `${md(cell)} (${g.hits.filter((h) => h.cell === cell).map((h) => `${h.phase} ${h.cycle}`).join(', ')})`);
      out.push(`| ${md(g.title)} | ${md(g.class)} | ${md(g.module ?? '')} | ${g.count} | ${where.join('<br>')} |`);
    }
    out.push('');
    for (const g of run.crashes) {
      if (!g.excerpt) continue;
      out.push(`<details><summary>${escapeHtml(printableLine(g.title))}: console excerpt</summary>`);
      out.push('');
      out.push(fence(g.excerpt));
      out.push('');
      out.push('</details>');
      out.push('');
    }
  }
  return out.join('\n');
}

export class MarkdownReporter extends FileReporter {
  readonly name = 'markdown';
  protected readonly fileName = 'summary.md';
  protected render(run: RunResult, ctx: ReportContext): string {
    return renderMarkdown(run, ctx);
  }
}
