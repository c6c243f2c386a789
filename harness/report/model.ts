import type { GateResult } from '../results/gate-schema.js';
import type { CellResult, CycleResult, RunResult } from '../results/schema.js';
import { printable } from '../util/printable.js';
import { selftestLine } from '../results/selftest-record.js';

/** What every file reporter shows the same way: the matrix, verdicts, labels, escaping. */

export type CellVerdict = 'pass' | 'fail' | 'error' | 'pending';

/** The cell's verdict as the gate decided it (an allowed crash can turn fail into pass), else as the run stored it. */
export function verdictOf(cell: CellResult, gate?: GateResult): CellVerdict {
  const g = gate?.cells.find((c) => c.id === cell.id);
  if (g) return cell.status === 'done' ? g.verdict : 'pending';
  return cell.status === 'done' ? (cell.verdict ?? 'error') : 'pending';
}

export function reasonOf(cell: CellResult, gate?: GateResult): string {
  return gate?.cells.find((c) => c.id === cell.id)?.reason ?? cell.reason ?? (cell.status === 'done' ? '' : `not finished (${cell.status})`);
}

export const columnKey = (c: CellResult) => `${c.agent.name} ${c.agent.build} / content ${c.content.version}`;

export interface Matrix {
  images: string[];
  columns: { key: string; build: string; content: string; agent: string }[];
  at(image: string, column: string): CellResult | undefined;
}

/** Images down, build x content across, in the order the run lists its cells. */
export function matrixOf(run: RunResult): Matrix {
  const images: string[] = [];
  const columns: Matrix['columns'] = [];
  const byKey = new Map<string, CellResult>();
  for (const c of run.cells) {
    if (!images.includes(c.image.name)) images.push(c.image.name);
    const key = columnKey(c);
    if (!columns.some((x) => x.key === key)) columns.push({ key, build: c.agent.build, content: c.content.version, agent: c.agent.name });
    byKey.set(`${c.image.name}\u0000${key}`, c);
  }
  return { images, columns, at: (image, column) => byKey.get(`${image}\u0000${column}`) };
}

/** `debian-6.1-generic, sensor 2.1.0, content 291` */
export const cellTitle = (c: CellResult) => `${c.image.name}, ${c.agent.name} ${c.agent.build}, content ${c.content.version}`;

export const bootedCount = (c: CellResult) => `${c.cycles.filter((x) => x.booted).length}/${c.cycles.length}`;

export const secs = (ms?: number) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)}s`);

/** Milliseconds between two ISO times, when both are known. */
export function spanMs(from?: string, to?: string): number | undefined {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

export const allCycles = (c: CellResult): CycleResult[] => [...c.baseline, ...c.cycles];

/**
 * At most `max` boots of a cell to draw and list, in order: the first and the last, and every
 * boot that failed (up to the limit). A page with thousands of boots per cell is unreadable and
 * slow; run.json keeps them all, and `omitted` says how many the page leaves out.
 */
export function shownCycles(c: CellResult, max = 500): { cycles: CycleResult[]; omitted: number } {
  const all = allCycles(c);
  if (all.length <= max) return { cycles: all, omitted: 0 };
  const keep = new Set<number>();
  const half = Math.floor(max / 4);
  for (let i = 0; i < half; i++) keep.add(i).add(all.length - 1 - i);
  for (let i = 0; i < all.length && keep.size < max; i++) if (!all[i]!.booted) keep.add(i);
  const cycles = [...keep].sort((a, b) => a - b).map((i) => all[i]!);
  return { cycles, omitted: all.length - cycles.length };
}

/** The distinct crashes of one cell, in the order they first hit, with how often. */
export function cellCrashes(c: CellResult) {
  const m = new Map<string, { crash: NonNullable<CycleResult['crash']>; cycles: CycleResult[] }>();
  for (const cy of allCycles(c)) {
    if (!cy.crash) continue;
    const g = m.get(cy.crash.signature) ?? { crash: cy.crash, cycles: [] };
    g.cycles.push(cy);
    m.set(cy.crash.signature, g);
  }
  return [...m.values()];
}

/**
 * Why each boot's self-test failed, one line per problem (`agent 2: not ok 3 - counter`), at
 * most `max` lines, the last saying how many more: the failing points a report shows.
 */
export function selftestProblems(c: CellResult, max = 50): string[] {
  const out: string[] = [];
  let more = 0;
  for (const cy of allCycles(c)) {
    if (!cy.selftest || cy.selftest.ok) continue;
    for (const p of cy.selftest.problems) {
      if (out.length < max) out.push(`${cy.phase} ${cy.index}: ${p}`);
      else more++;
    }
  }
  if (more) out.push(`and ${more} more`);
  return out;
}

/** Why a boot was unhealthy, in one line: the health check's output, or the self-test's first problem. */
export function unhealthyReason(c: CycleResult): string {
  if (c.health && !c.health.ok) return c.health.output.trim().split('\n')[0]!;
  if (c.selftest && !c.selftest.ok) return selftestLine(c.selftest);
  return (c.health?.output ?? '').trim().split('\n')[0]!;
}

/** The run-level verdict word and exit code: the gate's when there is one, else run.json's summary. */
export function runVerdictOf(run: RunResult, gate?: GateResult): { verdict: string; exitCode?: number } {
  if (gate) return { verdict: gate.verdict, exitCode: gate.exitCode };
  if (run.status === 'running') return { verdict: 'running' };
  const v = run.summary.verdict;
  return { verdict: v ?? 'error', exitCode: run.summary.exitCode };
}

/** Every character that can open markup or an attribute is escaped: guest text is data, never HTML. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' })[ch]!);
}

/** Characters XML 1.0 forbids anywhere (even in CDATA), shown as \xNN instead (controls go through printable first). */
export function xmlSafeChars(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** For attributes and text nodes of XML. */
export function escapeXml(s: string): string {
  return xmlSafeChars(printable(s)).replace(/[&<>"'\n\r\t]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\n': '&#10;', '\r': '&#13;', '\t': '&#9;' })[ch]!);
}

/** A CDATA section holding any text: `]]>` is split across two sections, forbidden characters are shown as \xNN. */
export function cdata(s: string): string {
  return `<![CDATA[${xmlSafeChars(printable(s)).replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

/** A relative link to a file under the run folder: each segment percent-encoded, so a path can never become a scheme (javascript:). */
export function relHref(path: string): string {
  return './' + path.split('/').filter((p) => p && p !== '.').map((p) => (p === '..' ? '%2E%2E' : encodeURIComponent(p))).join('/');
}
