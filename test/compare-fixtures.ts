/**
 * run.json files built in code for the comparison tests: no booting. Timings are deterministic
 * noise around a mean, so bootstrap intervals are the same on every run.
 */
import { signatureOf } from '../harness/results/crash-record.js';
import type { CellResult, CycleResult, RunResult } from '../harness/results/schema.js';

export const NULL_DEREF = 'BUG: kernel NULL pointer dereference in sensor_parse_channel';
export const UAF = 'KASAN: slab-use-after-free Read in sensor_exec_probe';

/** n values around mean, spread given as a fraction: a fixed pattern, not random. */
export const noisy = (mean: number, n: number, spread = 0.02, phase = 0) => Array.from({ length: n }, (_, i) => Math.round(mean * (1 + spread * Math.sin((i + phase) * 2.399963)) * 10) / 10);

let clock = Date.parse('2026-02-01T08:00:00.000Z');
const at = () => new Date((clock += 15_000)).toISOString();

export type Workloads = Record<string, number[] | { a?: number[]; b?: number[] }>;

export function booted(phase: 'baseline' | 'agent', index: number, uptimeMs: number, workloads?: Workloads): CycleResult {
  const c: CycleResult = {
    index,
    phase,
    kind: index === 1 && phase === 'baseline' ? 'cold' : 'warm',
    booted: true,
    outcome: 'ready',
    startedAt: at(),
    bootMs: uptimeMs + 900,
    readyMs: uptimeMs + 1300,
    guestReadyUptimeMs: uptimeMs,
    bootId: `b-${phase}-${index}`,
    ...(phase === 'agent' ? { health: { ok: true, output: 'ok' } } : {}),
    consoleLog: `cells/x/${phase}-${index}.log`,
  };
  // Older runs stored plain arrays or one side only: the shape is kept as given, for cellWorkloads to read.
  if (workloads) (c as Omit<CycleResult, 'workloads'> & { workloads?: Workloads }).workloads = workloads;
  return c;
}

export function crashedCycle(index: number, title = NULL_DEREF): CycleResult {
  return {
    index,
    phase: 'agent',
    kind: 'warm',
    booted: false,
    outcome: 'crash',
    startedAt: at(),
    crash: { os: 'linux', source: 'console', class: title.startsWith('KASAN') ? 'kasan' : 'null-deref', title, module: 'sensor', signature: signatureOf(title) },
    consoleLog: `cells/x/agent-${index}.log`,
  };
}

export function timedOut(index: number): CycleResult {
  return { index, phase: 'agent', kind: 'warm', booted: false, outcome: 'timeout', startedAt: at(), error: 'no ready marker within 90s', consoleLog: `cells/x/agent-${index}.log` };
}

export interface CellOpts {
  build?: string;
  kernelRelease?: string;
  /** Guest uptime at ready of each agent cycle (default 5 cycles around 4200 ms). */
  uptimes?: number[];
  /** Per agent cycle, its workloads. */
  workloads?: (i: number) => Workloads | undefined;
  cycles?: CycleResult[];
  verdict?: CellResult['verdict'];
  reason?: string;
  status?: CellResult['status'];
  bootLoop?: boolean;
}

export function passCell(image: string, content: string, o: CellOpts = {}): CellResult {
  const build = o.build ?? '2.1.0';
  const uptimes = o.uptimes ?? noisy(4200, 5, 0.01);
  const cycles = o.cycles ?? uptimes.map((u, i) => booted('agent', i + 1, u, o.workloads?.(i)));
  return {
    id: `${image}__sensor-${build}__content-${content}`,
    image: { name: image, kernelRelease: o.kernelRelease ?? (image.includes('6.12') ? '6.12.117+deb12-amd64' : '6.1.0-56-amd64'), recipeHash: 'r1' },
    agent: { name: 'sensor', kind: 'linux-kmod', build },
    content: { version: content, sha256: content.repeat(22).slice(0, 64) },
    status: o.status ?? 'done',
    ...(o.status && o.status !== 'done' ? {} : { verdict: o.verdict ?? 'pass', reason: o.reason ?? `${cycles.filter((c) => c.booted).length}/${cycles.length} boots, no crash` }),
    ...(o.bootLoop ? { bootLoop: true } : {}),
    install: { ok: true, ms: 1200 },
    baseline: [booted('baseline', 1, 4000)],
    cycles,
  };
}

/** A cell whose content boot-loops the sensor: two crashed boots. */
export function loopCell(image: string, content: string, o: { build?: string; titles?: string[] } = {}): CellResult {
  const titles = o.titles ?? [NULL_DEREF, NULL_DEREF];
  return passCell(image, content, {
    build: o.build,
    cycles: titles.map((t, i) => crashedCycle(i + 1, t)),
    verdict: 'fail',
    reason: `boot loop: ${titles[0]}`,
    bootLoop: true,
  });
}

export function makeRun(id: string, cells: CellResult[], o: { suite?: string; suiteSha?: string; accel?: string } = {}): RunResult {
  const count = (v: string) => cells.filter((c) => c.verdict === v).length;
  return {
    schema: 'bootgate.run/v1',
    id,
    status: 'finished',
    suite: { name: o.suite ?? 'nightly', file: `suites/${o.suite ?? 'nightly'}.yaml`, sha256: o.suiteSha ?? 'a'.repeat(64) },
    host: { hostname: 'lab1', platform: 'linux-x64', cpus: 2, memoryMiB: 4096, provider: 'qemu', accel: o.accel ?? 'tcg' },
    versions: { bootgate: '0.1.0', node: 'v20.19.0' },
    startedAt: '2026-02-01T08:00:00.000Z',
    endedAt: '2026-02-01T08:30:00.000Z',
    summary: {
      cells: cells.length,
      pass: count('pass'),
      fail: count('fail'),
      error: count('error'),
      pending: cells.filter((c) => c.status !== 'done').length,
      verdict: count('fail') ? 'fail' : count('error') ? 'error' : 'pass',
      exitCode: count('fail') ? 1 : count('error') ? 3 : 0,
    },
    cells,
    crashes: [],
  };
}
