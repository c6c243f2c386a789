/**
 * `npm run bench`: every boot-cost figure of the lab in one run, printed and written to
 * results/bench/bench-<time>.json. Figures, not assertions: the host may be shared and loaded.
 * Each comparison runs its two sides in lockstep pairs (scripts/bench/lockstep.ts): both cycles
 * of a pair start at the same moment, and a raw boot fills in while the slower one ends. Two
 * boots started together see the same shared host; two boots a few seconds apart do not
 * (measured here: 3.3% against about 18% spread of their ratio). Each ratio is the geometric mean
 * of the per-pair ratios, with its 95% bootstrap interval and the number of pairs.
 *
 *   npm run bench                       detect, cycles, scaling, memory, matrix (plan): about 17 min under TCG
 *   npm run bench -- cycles scaling     only those sections
 *   BENCH_SCALE=2 npm run bench         twice the pairs in every comparison
 *   BENCH_ROUNDS=5                      rounds of the scaling section (default 3)
 *   npm run bench -- cpu                -cpu max against a leaner model under TCG (BENCH_LEAN_CPU, default qemu64)
 *   npm run bench -- matrix-run         also run the kernel matrix for its wall time (about 6 min under TCG)
 *   npm run bench -- agent              the agent's workload overhead (suites/overhead.yaml)
 *
 * Sections:
 * - cycles: A/A (raw PVH with raw PVH: the method's own spread); a harness warm PVH cycle
 *   (reboot, boot, SSH, boot id, health) with a raw QEMU PVH boot to the ready marker (the
 *   harness's share of raw throughput, and where a cycle goes); raw bzImage with raw PVH and
 *   harness warm bzImage with harness warm PVH (the boot path's gain, same kernel); under TCG a
 *   warm cycle reset in place with one in a new process (boot.warmReboot); a harness cold cycle
 *   (a new VM) with a warm one. The harness process's own CPU per cycle is stated
 *   apart: it runs on the cores both sides share.
 * - scaling: one VM alone against two at once, raw and harness (warm cycles): load 1 and load 2
 *   cannot run together, so these are sequential 20 s windows in rounds of alternating order.
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
import { lockstep, type Lockstep, type Loop } from './bench/lockstep.js';
import { throughputTogether } from './bench/throughput.js';

const IMAGE = process.env.BENCH_IMAGE ?? 'debian-6.1-generic';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Multiplies the pairs of every lockstep comparison. */
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const ENTRIES: Entry[] = ['bzimage', 'pvh'];

const report: Record<string, unknown> = {};
const ac = new AbortController();
process.once('SIGINT', () => ac.abort());

async function context(image: BuiltImage, dir: string): Promise<LoopContext> {
  const { accel } = await chooseAccel();
  return { image, provider: new QemuProvider(), accel, labKey: await ensureLabKey(join(cacheRoot(), 'lab')), dir, signal: ac.signal };
}

const rawLoop = (x: LoopContext, entry: Entry, label: string, cpu?: string): Loop => ({ label, next: async () => ({ ms: await rawBoot(x, entry, cpu) }) });
const warmLoop = (l: HarnessLoop, label: string): Loop<CycleSample> => ({
  label,
  next: async () => {
    const s = await l.cycle('warm');
    return { ms: s.totalMs, detail: s };
  },
});
let coldSerial = 0;
const coldLoop = (x: LoopContext, label: string): Loop<CycleSample> => ({
  label,
  next: async () => {
    const l = new HarnessLoop(x, 'pvh', `cold-${++coldSerial}`);
    try {
      const s = await l.cycle('cold');
      return { ms: s.totalMs, detail: s };
    } finally {
      await l.dispose();
    }
  },
});

/**
 * Runs two loops in lockstep for `pairs` pairs (BENCH_SCALE stretches it); `a` is the
 * denominator's side of the ratio b/a. A raw PVH boot fills in while the slower side ends.
 */
async function pair<A, B>(x: LoopContext, what: string, a: Loop<A>, b: Loop<B>, pairs: number, target?: string): Promise<{ c: Comparison | undefined; run: Lockstep<A, B> }> {
  const n = Math.max(2, Math.round(pairs * SCALE));
  console.log(`  ${what}: ${a.label} with ${b.label}, ${n} pairs`);
  const run = await lockstep(a, b, n, (stop) => rawBoot(x, 'pvh', undefined, stop), ac.signal, (m) => console.log(m));
  const c = compare(what, { label: a.label, xs: ms(run.a) }, { label: b.label, xs: ms(run.b) }, target);
  console.log(line(c) + ` [${Math.round(run.wallMs / 1000)} s]`);
  return { c, run };
}

const ms = (xs: { ms: number }[]): number[] => xs.map((s) => s.ms);
const details = <D>(xs: { detail?: D }[]): D[] => xs.flatMap((s) => (s.detail === undefined ? [] : [s.detail]));

async function cycles(x: LoopContext): Promise<void> {
  // Every comparison runs its two sides in lockstep: two boots started together see the same
  // shared host, two a few seconds apart do not.
  const warm = new Map<Entry, HarnessLoop>(ENTRIES.map((e) => [e, new HarnessLoop(x, e, `warm-${e}`)]));
  try {
    // A warm loop needs a booted guest to reboot: its first (cold) boot is not a sample.
    for (const l of warm.values()) await l.cycle('cold');
    console.log(`== cycles (${x.accel}, in lockstep pairs)`);
    const aa = await pair(x, 'A/A: raw PVH / raw PVH (the method\'s own spread; 1 expected)', rawLoop(x, 'pvh', 'raw PVH (1)'), rawLoop(x, 'pvh', 'raw PVH (2)'), 10);
    // Cycles per minute go as 1/time: raw time over harness time is the harness's share of raw throughput.
    const thr = await pair(x, 'harness warm cycle throughput / raw QEMU to marker (PVH)', warmLoop(warm.get('pvh')!, 'harness warm PVH'), rawLoop(x, 'pvh', 'raw PVH'), 44, '>= 0.90');
    const rawPath = await pair(x, 'boot to marker, PVH / bzImage (raw QEMU)', rawLoop(x, 'bzimage', 'raw bzImage'), rawLoop(x, 'pvh', 'raw PVH'), 8, '<= 0.70');
    const harPath = await pair(x, 'harness warm cycle, PVH / bzImage', warmLoop(warm.get('bzimage')!, 'harness warm bzImage'), warmLoop(warm.get('pvh')!, 'harness warm PVH'), 6);
    // The warm reboot's path under TCG: reset in place (before) against a new process (after, boot.warmReboot auto).
    // Under KVM both are a reset in place: nothing to compare.
    let reboot: Awaited<ReturnType<typeof pair<CycleSample, CycleSample>>> | undefined;
    if (x.accel === 'tcg') {
      const inPlace = new HarnessLoop(x, 'pvh', 'warm-reset', 'reset');
      try {
        await inPlace.cycle('cold');
        reboot = await pair(x, 'harness warm cycle, new process / reset in place (PVH)', warmLoop(inPlace, 'warm reset in place'), warmLoop(warm.get('pvh')!, 'warm new process'), 10);
      } finally {
        await inPlace.dispose();
      }
    }
    const wc = await pair(x, 'warm cycle time / cold cycle time (PVH)', coldLoop(x, 'harness cold PVH'), warmLoop(warm.get('pvh')!, 'harness warm PVH'), 12);
    const w = details(thr.run.a);
    const cold = details(wc.run.a);
    // The harness process runs on the same cores as both sides, so its CPU slows both alike and
    // the paired ratio does not show it: it is stated apart, per harness cycle.
    const nodeCpuPerCycleMs = thr.run.nodeCpuMs / Math.max(1, thr.run.a.length);
    const medianCycle = median(ms(thr.run.a));
    const charged = thr.c && round3(thr.c.ratio * (1 - nodeCpuPerCycleMs / medianCycle));
    const figures = {
      aa: aa.c,
      throughputWarm: thr.c,
      // Cold against raw was not paired: it is the product of the two ratios that were.
      throughputColdDerived: thr.c && wc.c ? round3(thr.c.ratio * wc.c.ratio) : undefined,
      warmVsCold: wc.c,
      harnessProcess: { cpuMsPerWarmCycle: Math.round(nodeCpuPerCycleMs), shareOfCycle: round3(nodeCpuPerCycleMs / medianCycle), throughputWarmCharged: charged },
      medians: { rawMs: Math.round(median(ms(thr.run.b))), warm: phaseMedians(w), cold: phaseMedians(cold) },
    };
    console.log(`  the harness process's own CPU: ${figures.harnessProcess.cpuMsPerWarmCycle} ms per warm cycle (${(figures.harnessProcess.shareOfCycle * 100).toFixed(1)}% of a cycle); charged wholly to the harness side, throughput share ${charged?.toFixed(3) ?? '-'}`);
    console.log(`  harness cold cycle throughput / raw (raw/warm times warm/cold): ${figures.throughputColdDerived ?? '-'}`);
    console.log(`  where a warm cycle goes (medians): reboot ${seconds(figures.medians.warm.rebootMs)}, boot to marker ${seconds(figures.medians.warm.markerMs)}, SSH and boot id ${seconds(figures.medians.warm.sshMs)}, health ${seconds(figures.medians.warm.healthMs)}`);
    console.log(`  where a cold cycle goes (medians): QEMU start to marker ${seconds(figures.medians.cold.markerMs)}, SSH and boot id ${seconds(figures.medians.cold.sshMs)}, health ${seconds(figures.medians.cold.healthMs)}`);
    const path = { rawBootToMarker: rawPath.c, harnessWarmCycle: harPath.c, warmRebootNewProcess: reboot?.c };
    const keep = <A, B>(r: Lockstep<A, B>) => ({ wallMs: Math.round(r.wallMs), a: r.a, b: r.b });
    report.cycles = { pairing: 'lockstep: both sides of a pair start together; a raw PVH boot fills in while the slower one ends', pvh: figures, bootPath: path, samples: { aa: keep(aa.run), throughput: keep(thr.run), rawPath: keep(rawPath.run), harnessPath: keep(harPath.run), ...(reboot ? { warmReboot: keep(reboot.run) } : {}), warmVsCold: keep(wc.run) } };
  } finally {
    for (const l of warm.values()) await l.dispose();
  }
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
  console.log('== cpu model (TCG)');
  const { c, run } = await pair(x, `raw boot to marker, -cpu ${lean} / -cpu max (PVH, TCG)`, rawLoop(x, 'pvh', 'max'), rawLoop(x, 'pvh', lean, lean), 12);
  report.cpuModel = { lean, comparison: c, samples: { max: ms(run.a), [lean]: ms(run.b) } };
}

function phaseMedians(xs: CycleSample[]): { totalMs: number; markerMs: number; sshMs: number; healthMs: number; rebootMs: number } {
  const m = (f: (s: CycleSample) => number) => (xs.length ? Math.round(median(xs.map(f))) : 0);
  return { totalMs: m((s) => s.totalMs), markerMs: m((s) => s.markerMs), sshMs: m((s) => s.sshMs), healthMs: m((s) => s.healthMs), rebootMs: m((s) => s.rebootMs ?? 0) };
}

/**
 * One VM against two at once, raw and harness (warm cycles, as a run's cells reboot): each side's
 * throughput over a window of loops running together. Load 1 and load 2 cannot run at the same
 * time, so these windows are one after the other, in alternating order, and noisier than a
 * side-by-side pair.
 */
async function scaling(x: LoopContext, rounds: number): Promise<void> {
  const windowMs = Number(process.env.BENCH_SCALING_WINDOW_SECONDS ?? 20) * 1000;
  const warm = [new HarnessLoop(x, 'pvh', 'scale-0'), new HarnessLoop(x, 'pvh', 'scale-1')];
  const s = { raw1: [] as number[], raw2: [] as number[], har1: [] as number[], har2: [] as number[] };
  try {
    await Promise.all(warm.map((l) => l.cycle('cold')));
    const steps: [keyof typeof s, () => Loop[]][] = [
      ['raw1', () => [rawLoop(x, 'pvh', 'raw')]],
      ['raw2', () => [rawLoop(x, 'pvh', 'raw a'), rawLoop(x, 'pvh', 'raw b')]],
      ['har1', () => [warmLoop(warm[0]!, 'harness')]],
      ['har2', () => warm.map((l, i) => warmLoop(l, `harness ${i}`))],
    ];
    for (let i = 0; i < rounds; i++) {
      for (const [k, loops] of i % 2 ? [...steps].reverse() : steps) s[k].push((await throughputTogether(loops(), windowMs, ac.signal)).perMinute);
      const f = (v: number) => v.toFixed(1);
      console.log(`  round ${i + 1}/${rounds} (cycles per minute): raw 1 ${f(s.raw1.at(-1)!)}, raw 2 at once ${f(s.raw2.at(-1)!)}, harness 1 ${f(s.har1.at(-1)!)}, harness 2 at once ${f(s.har2.at(-1)!)}`);
    }
  } finally {
    await Promise.all(warm.map((l) => l.dispose()));
  }
  // Scaling is throughput at 2 over throughput at 1, per round; the harness's share of raw is paired by round.
  const rawScaling = s.raw2.map((t, i) => t / s.raw1[i]!);
  const harScaling = s.har2.map((t, i) => t / s.har1[i]!);
  const share = pairedRatio(rawScaling, harScaling);
  const fig = {
    rawScaling: round3(median(rawScaling)),
    harnessScaling: round3(median(harScaling)),
    harnessShareOfRawScaling: share && { ratio: round3(share.ratio), ciLow: round3(share.ciLow), ciHigh: round3(share.ciHigh), pairs: share.pairs },
    target: '>= 0.95',
    rounds,
    windowMs,
    cyclesPerMinute: s,
  };
  console.log(`== parallel scaling (PVH warm cycles, ${x.accel}, ${cpus().length} cpus): raw ${fig.rawScaling}x, harness ${fig.harnessScaling}x (medians over ${rounds} rounds of ${windowMs / 1000} s windows)`);
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
  // Detection first: right after eight VMs the host is still busy (its load average lags behind).
  if (wants('detect')) await detect();
  const needsVm = ['cycles', 'scaling', 'memory', 'cpu'].some(wants);
  if (needsVm) {
    const image = await new ImageCatalog(projectRoot(), cacheRoot()).ensure(IMAGE, (s) => console.log(`  image: ${s}`));
    if (!image.pvh || !('kernel' in image.pvh)) throw new Error(`${IMAGE} has no PVH kernel: ${image.pvh && 'why' in image.pvh ? image.pvh.why : 'not a direct-kernel image'}`);
    const x = await context(image, dir);
    if (wants('cycles')) await cycles(x);
    if (wants('scaling')) await scaling(x, ROUNDS);
    if (wants('cpu')) await cpuModel(x);
    if (wants('memory')) await memory(x, 8);
  }
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
