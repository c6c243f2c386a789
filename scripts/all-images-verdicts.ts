import { classifyVerifierLog, refusalText } from '../harness/agents/linux-ebpf/verifier-refusal.js';
import type { CellResult } from '../harness/results/schema.js';

/**
 * The all-images suite's expectation rule and its verdict table (suites/all-images.yaml): the
 * sensor, as a module and as eBPF, with content 290 and 291, on every Linux image. The rule is
 * written once, from the kernel of each cell, never per cell:
 * - module, 290: pass; module, 291: fail, a boot loop, the NULL dereference in sensor_parse_channel;
 * - eBPF, 290: pass, unless the kernel is older than bpf_strncmp (5.17): then fail, refused for
 *   the missing helper, the compat program running in reduced functionality;
 * - eBPF, 291: fail, refused by the verifier for the content on every kernel; the machine boots.
 * Pure: cells in, problems and Markdown out.
 */

export interface Expectation {
  verdict: 'pass' | 'fail';
  what: string;
}

const STRNCMP_SINCE: readonly [number, number] = [5, 17];

/** `5.10.0-46-amd64` -> [5, 10]; undefined when the release does not start with a version. */
export function kernelSeries(release: string | undefined): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(release ?? '');
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** Debian names its kernels' architecture last: `6.12.118+deb13-cloud-arm64` -> arm64. */
export function archOf(release: string | undefined): string {
  return /-(amd64|arm64|i386|armhf|ppc64el|s390x|riscv64)$/.exec(release ?? '')?.[1] ?? '?';
}

function lacksStrncmp(release: string | undefined): boolean {
  const s = kernelSeries(release);
  return s !== undefined && (s[0] < STRNCMP_SINCE[0] || (s[0] === STRNCMP_SINCE[0] && s[1] < STRNCMP_SINCE[1]));
}

type Cell = Pick<CellResult, 'id' | 'image' | 'agent' | 'content' | 'verdict' | 'reason' | 'bootLoop' | 'cycles'>;

export function expectation(c: Cell): Expectation {
  const bad = c.content.version === '291';
  if (c.agent.kind === 'linux-kmod') return bad ? { verdict: 'fail', what: 'boot loop, NULL dereference in sensor_parse_channel' } : { verdict: 'pass', what: 'loads and runs' };
  if (bad) return { verdict: 'fail', what: 'refused by the verifier for the content; the machine boots' };
  return lacksStrncmp(c.image.kernelRelease)
    ? { verdict: 'fail', what: 'refused for the missing helper bpf_strncmp; the compat program runs in reduced functionality' }
    : { verdict: 'pass', what: 'verified, attached and healthy' };
}

/** Everything the agent printed about itself in the cell's boots (its health output). */
function healthText(c: Cell): string {
  return c.cycles.map((cy) => cy.health?.output ?? '').join('\n');
}

/** How the cell differs from the rule: empty when it is as expected. */
export function cellProblems(c: Cell): string[] {
  const e = expectation(c);
  const p: string[] = [];
  if (c.verdict !== e.verdict) p.push(`verdict ${c.verdict ?? 'none'}, expected ${e.verdict} (${e.what}): ${c.reason ?? ''}`);
  if (e.verdict === 'pass') return p;
  if (c.agent.kind === 'linux-kmod') {
    if (!c.bootLoop) p.push('no boot loop');
    const fn = c.cycles.find((cy) => cy.crash)?.crash?.function;
    if (fn !== 'sensor_parse_channel') p.push(`crash in ${fn ?? 'nothing'}, expected sensor_parse_channel`);
    return p;
  }
  if (c.bootLoop) p.push('a boot loop: a refused program must not stop the machine');
  if (c.cycles.some((cy) => !cy.booted || cy.crash)) p.push('a boot failed or crashed: a refused program must not');
  const r = classifyVerifierLog(healthText(c));
  const old = lacksStrncmp(c.image.kernelRelease);
  const want = c.content.version === '291' ? 'content' : 'missing-helper';
  if (!r) p.push('no verifier refusal in the agent\'s health output');
  else {
    if (r.kind !== want) p.push(`refused as ${r.kind} (${r.message}), expected ${want}`);
    if (old && !r.fallback) p.push('no fallback recorded, on a kernel without bpf_strncmp');
  }
  return p;
}

/** One table entry: the verdict, and why in a few words. */
export function entry(c: Cell | undefined): string {
  if (!c) return '-';
  let why = '';
  if (c.verdict === 'fail') {
    const crash = c.cycles.find((cy) => cy.crash)?.crash;
    const r = c.agent.kind === 'linux-ebpf' ? classifyVerifierLog(healthText(c)) : undefined;
    why = r ? refusalText(r) : crash ? `${c.bootLoop ? 'boot loop, ' : ''}${crash.title}` : (c.reason ?? '');
  } else if (c.verdict === 'error') why = c.reason ?? '';
  const problems = cellProblems(c);
  const text = `${c.verdict ?? 'not run'}${why ? `: ${why}` : ''}`.replace(/\|/g, '\\|');
  return problems.length ? `**UNEXPECTED** ${text} (${problems.join('; ').replace(/\|/g, '\\|')})` : text;
}

/** The verdict table, one row per image in the order of the cells; then the count of cells against the rule. */
export function verdictTable(cells: readonly Cell[]): string {
  const images = [...new Set(cells.map((c) => c.image.name))];
  const find = (img: string, kind: string, v: string) => cells.find((c) => c.image.name === img && c.agent.kind === kind && c.content.version === v);
  const rows = images.map((img) => {
    const any = cells.find((c) => c.image.name === img)!;
    const rel = cells.find((c) => c.image.name === img && c.image.kernelRelease)?.image.kernelRelease ?? any.image.kernelRelease;
    const cols = [['linux-kmod', '290'], ['linux-kmod', '291'], ['linux-ebpf', '290'], ['linux-ebpf', '291']].map(([k, v]) => entry(find(img, k!, v!)));
    return `| ${img} | ${rel ?? '?'} | ${archOf(rel)} | ${cols.join(' | ')} |`;
  });
  const off = cells.filter((c) => cellProblems(c).length > 0).length;
  return [
    '| image | kernel | arch | kmod 290 | kmod 291 | ebpf 290 | ebpf 291 |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `${cells.length} cells over ${images.length} images: ${cells.length - off} as the rule expects, ${off} not.`,
    '',
  ].join('\n');
}

export interface ImageCost {
  image: string;
  kernel: string;
  buildSeconds?: number;
  sizeMiB?: number;
  /** Cold boots of the image without the agent, power-on to the ready marker (the runs' baselines), in seconds. */
  coldBoots: number[];
}

/** What each image costs: build, size, cold boot (the runs' baseline boots, which share the host with the cells). */
export function costTable(rows: readonly ImageCost[]): string {
  const s = (x: number | undefined) => (x === undefined ? '?' : String(x));
  return [
    '| image | kernel | build s | size MiB | cold boot to ready s |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.image} | ${r.kernel} | ${s(r.buildSeconds)} | ${s(r.sizeMiB)} | ${r.coldBoots.length ? r.coldBoots.join(', ') : '?'} |`),
    '',
  ].join('\n');
}
