/**
 * `npm run bench`: every boot-cost figure of the lab in one run, printed and written to
 * results/bench/bench-<time>.json. Figures, not assertions: the host may be shared and loaded,
 * so each figure is a ratio of two sides measured in the same rounds, one after the other: the
 * geometric mean of the per-round ratios, its 95% bootstrap interval and the number of rounds.
 * Pairing by round cancels the host's load drift, which a ratio of medians carries whole.
 *
 *   npm run bench                       cycles, scaling, memory, detect, matrix (plan)
 *   npm run bench -- cycles scaling     only those sections
 *   BENCH_ROUNDS=24 npm run bench       more rounds (default 16: about 15 minutes under TCG)
 *   npm run bench -- cpu                -cpu max against a leaner model under TCG (BENCH_LEAN_CPU, default qemu64)
 *   npm run bench -- matrix-run         also run the kernel matrix for its wall time (about 9 min under TCG)
 *   npm run bench -- agent              the agent's workload overhead (suites/overhead.yaml)
 *
 * Sections:
 * - cycles: per round, for each kernel entry (bzImage as packaged, PVH), a raw QEMU boot to the
 *   ready marker and a harness warm cycle (reboot, boot, SSH, boot id, health), and a harness
 *   cold PVH cycle (a new VM). Gives full-cycle throughput against raw, warm against cold, what
 *   SSH and health cost, and the boot path's gain (PVH against bzImage, same kernel).
 * - scaling: one VM alone against two at once, raw and harness (throughput at 2 / at 1).
 * - memory: the Node process's peak RSS while 8 harness VMs boot at once.
 * - detect: `bootgate detect` on 100 MB console logs (scripts/bench-detect-cli.ts).
 * - matrix: boots per cell of the kernel matrix, own baselines against shared ones (from the plan).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSuite } from '../harness/config/suite.js';
import { ensureLabKey } from '../harness/guest/lab-keys.js';
import { ImageCatalog, type BuiltImage } from '../harness/images/catalog.js';
import { chooseAccel } from '../harness/providers/qemu/accel.js';
import { QemuProvider } from '../harness/providers/qemu/qemu-provider.js';
import { planRun } from '../harness/run/run-plan.js';
import { suiteImageNames } from '../harness/run/prepare.js';
import { runSuite } from '../harness/run/run-suite.js';
import { workloadOverhead } from '../harness/gate/overhead.js';
import { median, pairedRatio, pct, ratioOfMedians } from '../harness/util/stats.js';
import { cacheRoot, projectRoot } from '../harness/util/paths.js';
import { HarnessLoop, rawBoot, type CycleSample, type Entry, type LoopContext } from './bench/boot-loops.js';
import { compare, line, seconds, type Comparison } from './bench/figures.js';

const IMAGE = process.env.BENCH_IMAGE ?? 'debian-6.1-generic';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 16);
const ENTRIES: Entry[] = ['bzimage', 'pvh'];

const report: Record<string, unknown> = {};
const ac = new AbortController();
process.once('SIGINT', () => ac.abort());

async function context(image: BuiltImage, dir: string): Promise<LoopContext> {
  const { accel } = await chooseAccel();
  return { image, provider: new QemuProvider(), accel, labKey: await ensureLabKey(join(cacheRoot(), 'lab')), dir, signal: ac.signal };
}

async function cycles(x: LoopContext): Promise<void> {
  // Per round: both entries raw and warm, and a cold PVH cycle; every comparison pairs the two
  // sides of one round, so a busy stretch of the host falls on both alike.
  const raw = new Map<Entry, number[]>(ENTRIES.map((e) => [e, []]));
  const warm = new Map<Entry, CycleSample[]>(ENTRIES.map((e) => [e, []]));
  const cold: CycleSample[] = [];
  const loops = new Map<Entry, HarnessLoop>(ENTRIES.map((e) => [e, new HarnessLoop(x, e, `warm-${e}`)]));
  type Step = () => Promise<void>;
  const steps: Step[] = [
    ...ENTRIES.map((e): Step => async () => void raw.get(e)!.push(await rawBoot(x, e))),
    ...ENTRIES.map((e): Step => async () => void warm.get(e)!.push(await loops.get(e)!.cycle('warm'))),
    async () => {
      const c = new HarnessLoop(x, 'pvh', `cold-${cold.length}`);
      try {
        cold.push(await c.cycle('cold'));
      } finally {
        await c.dispose();
      }
    },
  ];
  try {
    // The warm loops need a booted guest to reboot: their first (cold) boot is not a sample.
    for (const e of ENTRIES) await loops.get(e)!.cycle('cold');
    for (let i = 0; i < ROUNDS; i++) {
      // Alternate the order, so what comes first in a round (a cooler or busier host) is not one side's.
      for (const step of i % 2 ? [...steps].reverse() : steps) await step();
      const w = warm.get('pvh')!.at(-1)!;
      console.log(`  round ${i + 1}/${ROUNDS}: raw bzImage ${seconds(raw.get('bzimage')!.at(-1)!)}, raw PVH ${seconds(raw.get('pvh')!.at(-1)!)}; harness warm bzImage ${seconds(warm.get('bzimage')!.at(-1)!.totalMs)}, PVH ${seconds(w.totalMs)} (reboot ${seconds(w.rebootMs ?? 0)}, marker ${seconds(w.markerMs)}, ssh ${seconds(w.sshMs)}, health ${seconds(w.healthMs)}); cold PVH ${seconds(cold.at(-1)!.totalMs)}`);
    }
  } finally {
    for (const l of loops.values()) await l.dispose();
  }
  const total = (xs: CycleSample[]) => xs.map((s) => s.totalMs);
  const r = raw.get('pvh')!;
  const w = warm.get('pvh')!;
  const figures = {
    // Cycles per minute go as 1/time: raw time over harness time is the harness's share of raw throughput.
    throughputWarm: compare('harness warm cycle throughput / raw QEMU to marker (PVH)', { label: 'harness warm', xs: total(w) }, { label: 'raw', xs: r }, '>= 0.90'),
    throughputCold: compare('harness cold cycle throughput / raw QEMU to marker (PVH)', { label: 'harness cold', xs: total(cold) }, { label: 'raw', xs: r }),
    warmVsCold: compare('warm cycle time / cold cycle time (PVH)', { label: 'cold', xs: total(cold) }, { label: 'warm', xs: total(w) }),
    medians: { rawMs: Math.round(median(r)), warm: phaseMedians(w), cold: phaseMedians(cold) },
  };
  console.log(`== cycles (${x.accel}, ${ROUNDS} rounds)`);
  for (const k of ['throughputWarm', 'throughputCold', 'warmVsCold'] as const) console.log(line(figures[k]));
  console.log(`  where a warm cycle goes (medians): reboot ${seconds(figures.medians.warm.rebootMs)}, boot to marker ${seconds(figures.medians.warm.markerMs)}, SSH and boot id ${seconds(figures.medians.warm.sshMs)}, health ${seconds(figures.medians.warm.healthMs)}`);
  console.log(`  where a cold cycle goes (medians): QEMU start to marker ${seconds(figures.medians.cold.markerMs)}, SSH and boot id ${seconds(figures.medians.cold.sshMs)}, health ${seconds(figures.medians.cold.healthMs)}`);
  const path = {
    rawBootToMarker: compare('boot to marker, PVH / bzImage (raw QEMU)', { label: 'bzImage', xs: raw.get('bzimage')! }, { label: 'PVH', xs: r }, '<= 0.70'),
    harnessWarmCycle: compare('harness warm cycle, PVH / bzImage', { label: 'bzImage', xs: total(warm.get('bzimage')!) }, { label: 'PVH', xs: total(w) }),
  };
  console.log('== boot path: PVH entry (after) against the packaged bzImage (before), same kernel, same rounds');
  for (const c of Object.values(path)) console.log(line(c));
  report.cycles = { pvh: figures, bootPath: path, samples: { raw: Object.fromEntries(raw), warm: Object.fromEntries(warm), coldPvh: cold } };
}

/**
 * -cpu max (what the harness gives a TCG guest) against a leaner model: under TCG every CPU
 * feature the guest sees is emulated, and the kernel picks its code paths by them.
 */
async function cpuModel(x: LoopContext): Promise<void> {
  if (x.accel !== 'tcg') {
    console.log('== cpu model: skipped (KVM gives the guest the host CPU)');
    return;
  }
  const lean = process.env.BENCH_LEAN_CPU ?? 'qemu64';
  const max: number[] = [];
  const other: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const pair: [string, number[]][] = [['max', max], [lean, other]];
    for (const [cpu, xs] of i % 2 ? pair.reverse() : pair) xs.push(await rawBoot(x, 'pvh', cpu));
    console.log(`  round ${i + 1}/${ROUNDS}: -cpu max ${seconds(max.at(-1)!)}, -cpu ${lean} ${seconds(other.at(-1)!)}`);
  }
  const c = compare(`raw boot to marker, -cpu ${lean} / -cpu max (PVH, TCG)`, { label: 'max', xs: max }, { label: lean, xs: other });
  console.log(`== cpu model (TCG)`);
  console.log(line(c));
  report.cpuModel = { lean, comparison: c, samples: { max, [lean]: other } };
}

function phaseMedians(xs: CycleSample[]): { totalMs: number; markerMs: number; sshMs: number; healthMs: number; rebootMs: number } {
  const m = (f: (s: CycleSample) => number) => Math.round(median(xs.map(f)));
  return { totalMs: m((s) => s.totalMs), markerMs: m((s) => s.markerMs), sshMs: m((s) => s.sshMs), healthMs: m((s) => s.healthMs), rebootMs: m((s) => s.rebootMs ?? 0) };
}

/** Wall time of n boots started together. */
async function together<T>(n: number, f: (i: number) => Promise<T>): Promise<number> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => f(i)));
  return performance.now() - t0;
}

async function scaling(x: LoopContext, rounds: number): Promise<void> {
  const s = { raw1: [] as number[], raw2: [] as number[], har1: [] as number[], har2: [] as number[] };
  const harnessCold = async (tag: string) => {
    const l = new HarnessLoop(x, 'pvh', tag);
    try {
      await l.cycle('cold');
    } finally {
      await l.dispose();
    }
  };
  for (let i = 0; i < rounds; i++) {
    s.raw1.push(await together(1, () => rawBoot(x, 'pvh')));
    s.raw2.push(await together(2, () => rawBoot(x, 'pvh')));
    s.har1.push(await together(1, () => harnessCold(`scale1-${i}`)));
    s.har2.push(await together(2, (j) => harnessCold(`scale2-${i}-${j}`)));
    console.log(`  round ${i + 1}/${rounds}: raw 1 ${seconds(s.raw1.at(-1)!)}, raw 2 at once ${seconds(s.raw2.at(-1)!)}, harness 1 ${seconds(s.har1.at(-1)!)}, harness 2 at once ${seconds(s.har2.at(-1)!)}`);
  }
  // Throughput at 2 over throughput at 1: 2 x t1 / t2, per round; the harness's share of raw is paired by round.
  const per = (one: number[], two: number[]) => one.map((t, i) => (2 * t) / two[i]!);
  const rawScaling = per(s.raw1, s.raw2);
  const harScaling = per(s.har1, s.har2);
  const share = pairedRatio(rawScaling, harScaling);
  const fig = {
    rawScaling: round3(median(rawScaling)),
    harnessScaling: round3(median(harScaling)),
    harnessShareOfRawScaling: share && { ratio: round3(share.ratio), ciLow: round3(share.ciLow), ciHigh: round3(share.ciHigh), pairs: share.pairs },
    target: '>= 0.95',
    rounds,
    samples: s,
  };
  console.log(`== parallel scaling (PVH, ${x.accel}, ${cpus().length} cpus): raw ${fig.rawScaling}x, harness ${fig.harnessScaling}x (medians over ${rounds} rounds)`);
  const h = fig.harnessShareOfRawScaling;
  console.log(h ? `  harness scaling / raw scaling: ${h.ratio.toFixed(3)} (95% CI ${h.ciLow.toFixed(3)}..${h.ciHigh.toFixed(3)}, ${h.pairs} paired rounds); target >= 0.95` : '  (too few samples)');
  report.scaling = fig;
}

const round3 = (v: number): number => Math.round(v * 1000) / 1000;

async function memory(x: LoopContext, n: number): Promise<void> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  const loops = Array.from({ length: n }, (_, i) => new HarnessLoop(x, 'pvh', `mem-${i}`));
  try {
    await Promise.all(loops.map((l) => l.cycle('cold')));
    peak = Math.max(peak, process.memoryUsage().rss);
  } finally {
    clearInterval(t);
    await Promise.all(loops.map((l) => l.dispose()));
  }
  const fig = { cells: n, rssBeforeMiB: Math.round(before / 2 ** 20), peakRssMiB: Math.round(peak / 2 ** 20), target: '<= 200 MiB' };
  console.log(`== harness memory: peak RSS ${fig.peakRssMiB} MiB with ${n} VMs booting at once (${fig.rssBeforeMiB} MiB before; target <= 200 MiB)`);
  report.memory = fig;
}

async function detect(): Promise<void> {
  console.log('== bootgate detect on 100 MB console logs (scripts/bench-detect-cli.ts)');
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [join(projectRoot(), 'dist', 'scripts', 'bench-detect-cli.js'), '100', '3'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      text += d;
      process.stdout.write(d.replace(/^/gm, '  '));
    });
    child.on('error', reject);
    child.on('exit', (c) => (c === 0 ? resolve(text) : reject(new Error(`bench-detect-cli exited ${c}`))));
  });
  const rows = [...out.matchAll(/^(.+?)\s+\d+ MB: wall\s+([\d.]+) MB\/s .*?cpu\s+([\d.]+) MB\/s, peak RSS (\d+) MiB/gm)].map((m) => ({ log: m[1]!.trim(), wallMBps: Number(m[2]), cpuMBps: Number(m[3]), peakRssMiB: Number(m[4]) }));
  report.detect = { rows, target: '>= 50 MB/s, <= 200 MiB' };
}

async function matrix(runIt: boolean): Promise<void> {
  const file = join(projectRoot(), 'suites', 'kernel-matrix.yaml');
  const s = await loadSuite(file);
  const { names } = await suiteImageNames({ root: projectRoot(), cacheDir: cacheRoot() }, s);
  const own = planRun(s.suite, names, undefined, false);
  const shared = planRun(s.suite, names, undefined, true);
  const fig: Record<string, unknown> = { cells: own.cells.length, bootsPerCellOwn: round3(own.boots / own.cells.length), bootsPerCellShared: round3(shared.boots / shared.cells.length) };
  console.log(`== kernel matrix: ${own.cells.length} cells, boots per cell ${fig.bootsPerCellOwn} with own baselines, ${fig.bootsPerCellShared} shared (from the plan)`);
  if (runIt) {
    const results = await mkdtemp(join(tmpdir(), 'bootgate-bench-matrix-'));
    try {
      const t0 = performance.now();
      const r = await runSuite({ suiteFile: file, resultsDir: results, cacheDir: cacheRoot(), root: projectRoot(), emit: () => undefined, signal: ac.signal });
      fig.wallSeconds = Math.round((performance.now() - t0) / 1000);
      fig.verdicts = Object.fromEntries(r.run.cells.map((c) => [c.id, c.verdict]));
      console.log(`  run with shared baselines: ${fig.wallSeconds} s wall`);
    } finally {
      await rm(results, { recursive: true, force: true });
    }
  }
  report.matrix = fig;
}

async function agentCost(): Promise<void> {
  const results = await mkdtemp(join(tmpdir(), 'bootgate-bench-res-'));
  const r = await runSuite({ suiteFile: join(projectRoot(), 'suites', 'overhead.yaml'), resultsDir: results, cacheDir: cacheRoot(), root: projectRoot(), emit: () => undefined, signal: ac.signal });
  const cells: unknown[] = [];
  for (const cell of r.run.cells) {
    console.log(`${cell.agent.build}: ${cell.verdict}`);
    const rows = workloadOverhead(cell.cycles);
    for (const e of rows) console.log(`  ${e.workload.padEnd(5)} overhead ${e.pct >= 0 ? '+' : ''}${e.pct}% (95% CI ${pct(e.ciLow)}%..${e.pctUpper}%, n=${e.nA}+${e.nB}) ${e.significant ? 'SIGNIFICANT' : 'not significant'}`);
    // A/A: the with-agent samples of this cell split into two halves, boot by boot.
    const b = cell.cycles.flatMap((c) => c.workloads?.exec?.b ?? []);
    const half = b.length >> 1;
    const aa = ratioOfMedians(b.filter((_, i) => i % 2 === 0).slice(0, half), b.filter((_, i) => i % 2 === 1).slice(0, half));
    if (aa) console.log(`  A/A exec (same build, samples split in two): ${pct(aa.ratio)}% (95% CI ${pct(aa.ciLow)}%..${pct(aa.ciHigh)}%) ${aa.significant ? 'SIGNIFICANT (calibration failed)' : 'not significant'}`);
    cells.push({ build: cell.agent.build, verdict: cell.verdict, overhead: rows });
  }
  report.agent = { run: r.runDir, cells };
}

const args = process.argv.slice(2);
const wants = (s: string) => (args.length === 0 && !['agent', 'matrix-run', 'cpu'].includes(s)) || args.includes(s) || (s === 'matrix' && args.includes('matrix-run'));
const started = new Date();
report.host = { cpus: cpus().length, loadAtStart: loadavg().map((l) => round3(l)), node: process.version, image: IMAGE, rounds: ROUNDS, startedAt: started.toISOString() };
console.log(`bench: ${IMAGE}, ${ROUNDS} rounds, ${cpus().length} cpus, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
const dir = await mkdtemp(join(tmpdir(), 'bootgate-bench-'));
try {
  const needsVm = ['cycles', 'scaling', 'memory', 'cpu'].some(wants);
  if (needsVm) {
    const image = await new ImageCatalog(projectRoot(), cacheRoot()).ensure(IMAGE, (s) => console.log(`  image: ${s}`));
    if (!image.pvh || !('kernel' in image.pvh)) throw new Error(`${IMAGE} has no PVH kernel: ${image.pvh && 'why' in image.pvh ? image.pvh.why : 'not a direct-kernel image'}`);
    const x = await context(image, dir);
    if (wants('cycles')) await cycles(x);
    if (wants('scaling')) await scaling(x, Math.max(2, Math.round(ROUNDS / 4)));
    if (wants('cpu')) await cpuModel(x);
    if (wants('memory')) await memory(x, 8);
  }
  if (wants('detect')) await detect();
  if (wants('matrix')) await matrix(args.includes('matrix-run'));
  if (wants('agent')) await agentCost();
} finally {
  await rm(dir, { recursive: true, force: true });
  report.host = { ...(report.host as object), seconds: Math.round((Date.now() - started.getTime()) / 1000), loadAtEnd: loadavg().map((l) => round3(l)) };
  const outDir = join(projectRoot(), 'results', 'bench');
  await mkdir(outDir, { recursive: true });
  const file = join(outDir, `bench-${started.toISOString().replace(/[-:]/g, '').slice(0, 15)}.json`);
  await writeFile(file, JSON.stringify(report, null, 2) + '\n');
  console.log(`bench: ${Math.round((Date.now() - started.getTime()) / 1000)} s; figures in ${file}`);
}

export type { Comparison };
