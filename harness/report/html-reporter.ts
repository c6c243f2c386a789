import type { CellResult, CycleResult, RunResult } from '../results/schema.js';
import { allCycles, bootedCount, cellCrashes, cellTitle, escapeHtml, matrixOf, reasonOf, relHref, runVerdictOf, secs, shownCycles, spanMs, verdictOf, type CellVerdict } from './model.js';
import type { ReportContext } from './reporter.js';
import { FileReporter } from './file-reporter.js';
import { printable } from '../util/printable.js';
import { plural } from '../util/text.js';
import { maxOf } from '../util/arrays.js';
import { selftestLine } from '../results/selftest-record.js';
import { recoverySection } from './html-recovery.js';

/**
 * report.html: one self-contained file (inline CSS and SVG, no script, no external asset) that a
 * person opens from the run folder. Every piece of text that came from a guest, a suite or a
 * run.json is escaped, and a Content-Security-Policy forbids scripts besides: a console excerpt
 * can never run as code in the reader's browser.
 */

/** Every text of a report goes through here: controls shown as \xNN (a report is read in terminals too), then HTML-escaped. */
const h = (s: string | number | undefined) => escapeHtml(printable(String(s ?? '')));
const WORD: Record<CellVerdict, string> = { pass: 'pass', fail: 'fail', error: 'error', pending: 'pending' };
const anchor = (run: RunResult, c: CellResult) => `cell-${run.cells.indexOf(c)}`;

const CSS = `
:root{--pass:#1b7f3b;--pass-bg:#e3f4e8;--fail:#b3261e;--fail-bg:#fde7e6;--error:#a15c00;--error-bg:#fff1d6;--pending:#5f6368;--pending-bg:#eceff1;--ink:#1f2328;--muted:#59636e;--line:#d0d7de}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0;padding:24px 32px;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}h3{font-size:14px;margin:14px 0 6px}
.meta{color:var(--muted);margin:2px 0}.badge{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;text-transform:uppercase;font-size:13px;vertical-align:middle}
.v-pass{background:var(--pass-bg);color:var(--pass)}.v-fail{background:var(--fail-bg);color:var(--fail)}.v-error,.v-inconclusive{background:var(--error-bg);color:var(--error)}.v-pending,.v-running,.v-skipped{background:var(--pending-bg);color:var(--pending)}
table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}th{background:#f6f8fa;font-weight:600}
table.grid td.cell{min-width:210px;border:2px solid #fff;border-radius:4px}table.grid td.cell a{color:inherit;text-decoration:none;display:block}
table.grid .vword{font-weight:700;text-transform:uppercase;font-size:15px}table.grid .why{font-size:12px;margin-top:2px;max-width:340px}
table.grid td.v-pass{border-left:6px solid var(--pass)}table.grid td.v-fail{border-left:6px solid var(--fail)}table.grid td.v-error{border-left:6px solid var(--error)}table.grid td.v-pending{border-left:6px solid var(--pending)}
ul.reasons{margin:6px 0;padding-left:20px}.charts{display:flex;flex-wrap:wrap;gap:16px}.chart{border:1px solid var(--line);border-radius:6px;padding:8px 10px}.chart h3{margin:0 0 4px;font-size:13px}
.legend span{display:inline-block;margin-right:14px}.sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:4px;vertical-align:-1px}
pre{background:#f6f8fa;border:1px solid var(--line);border-radius:4px;padding:8px;overflow:auto;max-height:360px;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre}
table.crashes{width:100%;table-layout:fixed}table.crashes td{overflow-wrap:anywhere}table.crashes pre{margin:0}table.rules{width:100%}
td.num{text-align:right;font-variant-numeric:tabular-nums}code{font:12px ui-monospace,Menlo,Consolas,monospace}.muted{color:var(--muted)}footer{margin-top:32px;color:var(--muted);font-size:12px}
`;

const COLORS = { baseline: '#8c959f', agent: '#3b6fd6', failed: '#b3261e' };

function gridSection(run: RunResult, ctx: ReportContext): string {
  const m = matrixOf(run);
  const head = `<tr><th>image \\ build, content</th>${m.columns.map((c) => `<th>${h(c.agent)} ${h(c.build)}<br>content ${h(c.content)}</th>`).join('')}</tr>`;
  const rows = m.images.map((img) => {
    const tds = m.columns.map((col) => {
      const c = m.at(img, col.key);
      if (!c) return '<td class="muted">not in this run</td>';
      const v = verdictOf(c, ctx.gate);
      const allowed = ctx.gate?.cells.find((x) => x.id === c.id)?.allowedCrashes ?? 0;
      return `<td class="cell v-${v}" data-cell="${h(c.id)}" data-verdict="${v}"><a href="#${anchor(run, c)}"><div class="vword">${WORD[v]}</div><div>${bootedCount(c)} agent boots${c.bootLoop ? ', boot loop' : ''}${allowed ? `, ${plural(allowed, 'allowed crash', 'allowed crashes')}` : ''}</div><div class="why">${h(reasonOf(c, ctx.gate))}</div></a></td>`;
    });
    return `<tr><th>${h(img)}</th>${tds.join('')}</tr>`;
  });
  return `<section id="matrix"><h2>Matrix</h2><table class="grid">${head}${rows.join('')}</table></section>`;
}

function gateSection(ctx: ReportContext): string {
  const g = ctx.gate;
  if (!g) return '';
  const rules = g.rules
    .map((r) => `<tr><td><code>${h(r.rule)}</code></td><td>${h(r.threshold)}</td><td>${h(r.actual)}</td><td><span class="badge v-${r.outcome === 'error' ? 'error' : r.outcome}">${h(r.outcome)}</span></td><td>${h(r.reason)}${r.cells.length ? `<br><span class="muted">cells: ${r.cells.map((c) => h(c.id)).join(', ')}</span>` : ''}</td></tr>`)
    .join('');
  return `<section id="gate"><h2>Gate <span class="badge v-${g.verdict}">${g.verdict}</span></h2><p class="meta">policy from ${h(g.policy.source)}, evaluated ${h(g.evaluatedAt)}</p><ul class="reasons">${g.reasons.map((r) => `<li>${h(r)}</li>`).join('')}</ul><table class="rules"><tr><th>rule</th><th>threshold</th><th>actual</th><th>outcome</th><th>reason</th></tr>${rules}</table></section>`;
}

/** A bar per boot: baseline grey, agent blue, a boot that failed red at full height. */
function bootChart(run: RunResult, cell: CellResult, maxMs: number): string {
  const { cycles, omitted } = shownCycles(cell);
  const W = Math.max(220, 46 + cycles.length * 34);
  const H = 170;
  const top = 10;
  const bottom = 28;
  const left = 40;
  const plotH = H - top - bottom;
  const bw = 22;
  const step = (W - left - 8) / Math.max(1, cycles.length);
  const ticks = niceTicks(maxMs);
  const y = (ms: number) => top + plotH - (ms / maxMs) * plotH;
  const parts: string[] = [];
  for (const t of ticks) {
    parts.push(`<line x1="${left}" x2="${W - 4}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#e5e8eb"/>`);
    parts.push(`<text x="${left - 4}" y="${(y(t) + 4).toFixed(1)}" font-size="10" text-anchor="end" fill="#59636e">${(t / 1000).toFixed(0)}s</text>`);
  }
  cycles.forEach((c, i) => {
    const x = left + i * step + (step - bw) / 2;
    const label = `${c.phase === 'baseline' ? 'b' : ''}${c.index}`;
    const failed = !c.booted;
    const ms = c.bootMs ?? c.readyMs;
    const tip = `${c.phase} ${c.index} (${c.kind}): ${c.outcome}${ms !== undefined ? `, boot ${secs(c.bootMs)}, ready ${secs(c.readyMs)}` : ''}${c.crash ? `: ${c.crash.title}` : ''}${c.error ? `: ${c.error}` : ''}`;
    if (failed || ms === undefined) {
      parts.push(`<rect class="bar failed" x="${x.toFixed(1)}" y="${top}" width="${bw}" height="${plotH}" fill="${COLORS.failed}" fill-opacity="0.18" stroke="${COLORS.failed}"><title>${h(tip)}</title></rect>`);
      parts.push(`<text x="${(x + bw / 2).toFixed(1)}" y="${top + plotH / 2}" font-size="15" font-weight="700" text-anchor="middle" fill="${COLORS.failed}">✕</text>`);
    } else {
      const fill = c.phase === 'baseline' ? COLORS.baseline : COLORS.agent;
      parts.push(`<rect class="bar" x="${x.toFixed(1)}" y="${y(ms).toFixed(1)}" width="${bw}" height="${(top + plotH - y(ms)).toFixed(1)}" fill="${fill}"><title>${h(tip)}</title></rect>`);
      if (c.guestReadyUptimeMs !== undefined) parts.push(`<line x1="${(x - 2).toFixed(1)}" x2="${(x + bw + 2).toFixed(1)}" y1="${y(c.guestReadyUptimeMs).toFixed(1)}" y2="${y(c.guestReadyUptimeMs).toFixed(1)}" stroke="#1f2328" stroke-width="2"><title>${h(`guest uptime at ready ${secs(c.guestReadyUptimeMs)}`)}</title></line>`);
    }
    parts.push(`<text x="${(x + bw / 2).toFixed(1)}" y="${H - bottom + 14}" font-size="10" text-anchor="middle" fill="#59636e">${label}</text>`);
  });
  parts.push(`<line x1="${left}" x2="${W - 4}" y1="${top + plotH}" y2="${top + plotH}" stroke="#8c959f"/>`);
  return `<div class="chart"><h3><a href="#${anchor(run, cell)}">${h(cellTitle(cell))}</a></h3>${omitted ? `<p class="meta">${plural(omitted, 'boot')} between these not drawn (run.json has every boot)</p>` : ''}<svg class="boot-chart" role="img" aria-label="boot time per cycle" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg></div>`;
}

function niceTicks(maxMs: number): number[] {
  const raw = maxMs / 4;
  const pow = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  const step = [1, 2, 5, 10].map((k) => k * pow).find((s) => s >= raw) ?? 10 * pow;
  const out: number[] = [];
  for (let t = 0; t <= maxMs + 1e-9; t += step) out.push(t);
  return out;
}

function bootSection(run: RunResult): string {
  const all = run.cells.flatMap(allCycles).map((c) => c.bootMs ?? c.readyMs ?? 0);
  const maxMs = maxOf(all, 1000) * 1.08;
  const legend = `<p class="legend"><span><i class="sw" style="background:${COLORS.baseline}"></i>baseline boot (no agent)</span><span><i class="sw" style="background:${COLORS.agent}"></i>agent boot</span><span><i class="sw" style="background:${COLORS.failed}"></i>failed boot</span><span><i class="sw" style="background:#1f2328;height:3px"></i>guest uptime at ready</span></p>`;
  const note = '<p class="meta">Bar: host time from power-on (or reset) to the guest\'s ready marker; b1 is baseline boot 1, then agent cycles 1..N.</p>';
  return `<section id="boot-times"><h2>Boot time per cell and cycle</h2>${legend}${note}<div class="charts">${run.cells.map((c) => bootChart(run, c, maxMs)).join('')}</div></section>`;
}

/** Median boot overhead per cell, where the cell measured it (maxBootOverheadPct rule with a value). */
function overheadSection(run: RunResult, ctx: ReportContext): string {
  const rows = run.cells.flatMap((c) => {
    const r = c.rules?.find((x) => x.rule === 'maxBootOverheadPct' && typeof x.actual === 'number');
    return r ? [{ cell: c, pct: r.actual as number, threshold: typeof r.threshold === 'number' ? r.threshold : undefined }] : [];
  });
  const threshold = ctx.gate?.policy.value.maxBootOverheadPct ?? rows.find((r) => r.threshold !== undefined)?.threshold;
  if (rows.length === 0) {
    const why = run.cells.flatMap((c) => c.rules ?? []).find((r) => r.rule === 'maxBootOverheadPct')?.reason;
    return `<section id="overhead"><h2>Boot overhead</h2><p class="muted">Not measured in this run${why ? `: ${h(why)}` : ' (the suite sets no maxBootOverheadPct)'}.</p></section>`;
  }
  const maxPct = maxOf(rows.map((r) => Math.abs(r.pct)), Math.max(5, threshold ?? 0)) * 1.15;
  const W = 760;
  const rowH = 26;
  const left = 330;
  const zero = left + 40;
  const scale = (W - zero - 20) / maxPct;
  const H = rows.length * rowH + 30;
  const parts: string[] = [];
  rows.forEach((r, i) => {
    const yy = 10 + i * rowH;
    const w = Math.abs(r.pct) * scale;
    const x = r.pct >= 0 ? zero : zero - w;
    const over = threshold !== undefined && r.pct > threshold;
    parts.push(`<text x="${left - 6}" y="${yy + 15}" font-size="11" text-anchor="end">${h(cellTitle(r.cell))}</text>`);
    parts.push(`<rect x="${x.toFixed(1)}" y="${yy + 3}" width="${Math.max(1, w).toFixed(1)}" height="16" fill="${over ? COLORS.failed : COLORS.agent}"><title>${h(`${r.pct}% median guest boot over baseline`)}</title></rect>`);
    parts.push(`<text x="${(r.pct >= 0 ? x + w + 4 : x - 4).toFixed(1)}" y="${yy + 15}" font-size="11" text-anchor="${r.pct >= 0 ? 'start' : 'end'}">${h(r.pct)}%</text>`);
  });
  parts.push(`<line x1="${zero}" x2="${zero}" y1="4" y2="${H - 20}" stroke="#8c959f"/>`);
  if (threshold !== undefined) {
    const tx = zero + threshold * scale;
    parts.push(`<line x1="${tx.toFixed(1)}" x2="${tx.toFixed(1)}" y1="4" y2="${H - 20}" stroke="${COLORS.failed}" stroke-dasharray="4 3"/><text x="${tx.toFixed(1)}" y="${H - 6}" font-size="10" text-anchor="middle" fill="${COLORS.failed}">limit ${h(threshold)}%</text>`);
  }
  return `<section id="overhead"><h2>Boot overhead</h2><p class="meta">Median guest uptime at ready, agent boots over baseline boots.</p><svg class="overhead-chart" role="img" aria-label="boot overhead per cell" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg></section>`;
}

function crashSection(run: RunResult): string {
  if (run.crashes.length === 0) return '<section id="crashes"><h2>Crashes</h2><p>No crash in this run.</p></section>';
  // One map of every boot's log: looking each hit up in its cell's cycles is quadratic (200k crashes).
  const logs = new Map<string, string>();
  const key = (cellId: string, phase: string, index: number) => `${cellId}\0${phase}\0${index}`;
  for (const c of run.cells) {
    for (const x of c.baseline) if (!logs.has(key(c.id, 'baseline', x.index))) logs.set(key(c.id, 'baseline', x.index), x.consoleLog);
    for (const x of c.cycles) if (!logs.has(key(c.id, 'agent', x.index))) logs.set(key(c.id, 'agent', x.index), x.consoleLog);
  }
  const logOf = (cellId: string, phase: string, index: number) => logs.get(key(cellId, phase === 'baseline' ? 'baseline' : 'agent', index));
  const rows = run.crashes.map((g, i) => {
    const hits = g.hits
      .map((x) => {
        const log = logOf(x.cell, x.phase, x.cycle);
        const label = `${h(x.cell)}: ${h(x.phase)} ${x.cycle}`;
        return log ? `<a class="console-log" href="${h(relHref(log))}">${label}</a>` : label;
      })
      .join('<br>');
    return `<tr class="crash"><td class="crash-title"><strong>${h(g.title)}</strong><br><code class="muted">${h(g.signature.slice(0, 16))}</code></td><td class="num">${g.count}</td><td>${h(g.class)}</td><td>${h(g.module ?? '')}</td><td>${hits}</td></tr>${g.excerpt ? `<tr><td colspan="5"><details${i < 3 ? ' open' : ''}><summary>console excerpt</summary><pre class="excerpt">${h(g.excerpt)}</pre></details></td></tr>` : ''}`;
  });
  return `<section id="crashes"><h2>Crashes</h2><table class="crashes"><colgroup><col style="width:38%"><col style="width:7%"><col style="width:12%"><col style="width:11%"><col style="width:32%"></colgroup><tr><th>title</th><th>boots</th><th>class</th><th>module</th><th>where (console logs)</th></tr>${rows.join('')}</table></section>`;
}

/** A boot's self-test: its line, and the failing points when it failed. */
function selftestDetail(c: CycleResult): string {
  const st = c.selftest;
  if (!st) return '';
  const line = `<span class="selftest">${h(selftestLine(st))}</span>`;
  if (st.ok) return `<br>${line}`;
  return `<br><details class="selftest"><summary>${line}</summary><ul>${st.problems.map((p) => `<li><code>${h(p)}</code></li>`).join('')}</ul>${st.stderr ? `<pre class="excerpt">${h(st.stderr)}</pre>` : ''}</details>`;
}

function cycleRow(c: CycleResult): string {
  const what = (c.crash ? `<strong>${h(c.crash.title)}</strong>` : c.error ? h(c.error) : c.health ? `health ${c.health.ok ? 'ok' : 'failed'}: <code>${h(c.health.output)}</code>` : '') + selftestDetail(c);
  return `<tr class="o-${c.outcome}"><td>${h(c.phase)} ${c.index}</td><td>${h(c.kind)}</td><td><span class="badge v-${c.booted ? 'pass' : c.outcome === 'lab-error' ? 'error' : 'fail'}">${h(c.outcome)}</span></td><td class="num">${secs(c.bootMs)}</td><td class="num">${secs(c.readyMs)}</td><td class="num">${secs(c.guestReadyUptimeMs)}</td><td>${what}</td><td><a class="console-log" href="${h(relHref(c.consoleLog))}">${h(c.consoleLog.split('/').pop())}</a></td></tr>`;
}

function cellsSection(run: RunResult, ctx: ReportContext): string {
  const blocks = run.cells.map((c) => {
    const v = verdictOf(c, ctx.gate);
    const crashes = cellCrashes(c);
    const shown = shownCycles(c);
    const install = c.install ? `install ${c.install.ok ? `ok in ${secs(c.install.ms)}` : `failed: ${h(c.install.error)}`}` : 'not installed';
    const from = c.baselineFrom ? `; baseline shared: ${h(c.baselineFrom.id)}${c.baselineFrom.restoreMs !== undefined ? `, restored in ${secs(c.baselineFrom.restoreMs)}` : ''}` : '';
    return `<div class="cellblock" id="${anchor(run, c)}"><h3>${h(cellTitle(c))} <span class="badge v-${v}">${WORD[v]}</span></h3><p class="meta">${h(reasonOf(c, ctx.gate))}</p><p class="meta">kernel ${h(c.image.kernelRelease ?? '?')}${from}; ${install}; ${crashes.length ? plural(crashes.length, 'distinct crash', 'distinct crashes') : 'no crash'}; ${secs(spanMs(c.startedAt, c.endedAt))}</p><table><tr><th>boot</th><th>kind</th><th>outcome</th><th>boot</th><th>ready</th><th>guest uptime</th><th>detail</th><th>console</th></tr>${shown.cycles.map(cycleRow).join('')}</table>${shown.omitted ? `<p class="meta">${plural(shown.omitted, 'boot')} not listed: the first and last boots and every failed one are (run.json has every boot)</p>` : ''}</div>`;
  });
  return `<section id="cells"><h2>Cells</h2>${blocks.join('')}</section>`;
}

export function renderHtml(run: RunResult, ctx: ReportContext = {}): string {
  const rv = runVerdictOf(run, ctx.gate);
  const s = run.summary;
  const took = spanMs(run.startedAt, run.endedAt);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>bootgate ${h(run.suite.name)}: ${h(rv.verdict)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>bootgate ${h(run.suite.name)} <span class="badge v-${h(rv.verdict)}" id="verdict">${h(rv.verdict)}${rv.exitCode !== undefined ? ` (exit ${rv.exitCode})` : ''}</span></h1>
<p class="meta">run <code>${h(run.id)}</code>, ${h(run.status)}: ${s.cells} cells, ${s.pass} pass, ${s.fail} fail, ${s.error} error${s.pending ? `, ${s.pending} pending` : ''}</p>
<p class="meta">started ${h(run.startedAt)}${took !== undefined ? `, took ${secs(took)}` : ''}; suite ${h(run.suite.file)} (sha256 ${h(run.suite.sha256.slice(0, 12))})</p>
<p class="meta">host ${h(run.host.hostname)} (${h(run.host.platform)}, ${run.host.cpus} cpus, ${run.host.memoryMiB} MiB), ${h(run.host.provider)}: ${h(run.host.accel)}; bootgate ${h(run.versions.bootgate)}, node ${h(run.versions.node)}${run.versions.qemu ? `, ${h(run.versions.qemu)}` : ''}</p>
</header>
${gridSection(run, ctx)}
${gateSection(ctx)}
${crashSection(run)}
${recoverySection(run)}
${bootSection(run)}
${overheadSection(run, ctx)}
${cellsSection(run, ctx)}
<footer>Written by bootgate ${h(run.versions.bootgate)} from run.json (bootgate.run/v1). Console log links are relative to this run's folder.</footer>
</body>
</html>
`;
}

export class HtmlReporter extends FileReporter {
  readonly name = 'html';
  protected readonly fileName = 'report.html';
  protected render(run: RunResult, ctx: ReportContext): string {
    return renderHtml(run, ctx);
  }
}
