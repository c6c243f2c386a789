/**
 * `npm run bench:baselines` (issue 12): what shared baselines save, in one run of the benchmark.
 * Runs the quickstart and the kernel matrix each twice, with every cell booting its own baselines
 * (`--no-shared-baselines`) and with each image's baseline booted once and restored into its cells,
 * in the order own, shared, shared, own (quickstart, then matrix) so that a drift of the host's
 * load falls on both. Prints, per suite and mode: boots done (from run.json), boots per cell, wall
 * time, and whether both modes gave the same verdict to every cell. Figures, not assertions.
 * BENCH_SUITES=quickstart limits it to the quickstart.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSchema, type CellResult, type RunResult } from '../harness/results/schema.js';
import { bootgateChild } from './bootgate-child.js';


interface Sample {
  suite: string;
  mode: 'own' | 'shared';
  wallS: number;
  exit: number | null;
  cells: number;
  boots: number;
  verdicts: string;
}

const run = (args: string[]) => bootgateChild(args);

/** Boots the run really did: each cell's own baselines and agent boots (earlier attempts too), and each shared baseline once. */
function bootsOf(r: RunResult): number {
  const cellBoots = (c: Pick<CellResult, 'baseline' | 'cycles' | 'baselineFrom'>) => (c.baselineFrom ? 0 : c.baseline.length) + c.cycles.length;
  let n = (r.baselines ?? []).reduce((k, b) => k + b.cycles.length, 0);
  for (const c of r.cells) n += cellBoots(c) + (c.attempts ?? []).reduce((k, a) => k + cellBoots(a), 0);
  return n;
}

async function sample(suite: string, mode: 'own' | 'shared', results: string): Promise<Sample> {
  const t0 = Date.now();
  const r = await run(['run', `suites/${suite}.yaml`, '--results', join(results, `${suite}-${mode}`), ...(mode === 'own' ? ['--no-shared-baselines'] : [])]);
  const wallS = (Date.now() - t0) / 1000;
  const file = r.stdout.trim().split('\n').at(-1) ?? '';
  const parsed = runSchema.safeParse(JSON.parse(await readFile(file, 'utf8').catch(() => 'null')));
  if (!parsed.success) throw new Error(`${suite} (${mode}): no run.json (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const rr = parsed.data;
  const s: Sample = { suite, mode, wallS, exit: r.code, cells: rr.cells.length, boots: bootsOf(rr), verdicts: rr.cells.map((c) => `${c.id}=${c.verdict}`).join(' ') };
  console.log(`${suite.padEnd(14)} ${mode.padEnd(6)} exit ${s.exit}  ${String(s.boots).padStart(3)} boots for ${s.cells} cells (${(s.boots / s.cells).toFixed(2)} per cell)  wall ${wallS.toFixed(0)} s`);
  return s;
}

const suites = (process.env.BENCH_SUITES ?? 'quickstart,kernel-matrix').split(',');
const results = await mkdtemp(join(tmpdir(), 'bootgate-bench-baselines-'));
const samples: Sample[] = [];
try {
  // own, shared, then shared, own: a drift of the host's load falls on both modes.
  for (const [i, suite] of suites.entries()) {
    const order: ('own' | 'shared')[] = i % 2 === 0 ? ['own', 'shared'] : ['shared', 'own'];
    for (const mode of order) samples.push(await sample(suite, mode, results));
  }
} finally {
  await rm(results, { recursive: true, force: true });
}
console.log('');
const summary = suites.map((suite) => {
  const own = samples.find((s) => s.suite === suite && s.mode === 'own')!;
  const shared = samples.find((s) => s.suite === suite && s.mode === 'shared')!;
  const row = {
    suite,
    bootsPerCell: { own: +(own.boots / own.cells).toFixed(2), shared: +(shared.boots / shared.cells).toFixed(2) },
    boots: { own: own.boots, shared: shared.boots },
    wallS: { own: +own.wallS.toFixed(1), shared: +shared.wallS.toFixed(1) },
    wallRatio: +(shared.wallS / own.wallS).toFixed(3),
    sameVerdicts: own.verdicts === shared.verdicts && own.exit === shared.exit,
  };
  console.log(`${suite}: boots per cell ${row.bootsPerCell.own} -> ${row.bootsPerCell.shared}; wall ${row.wallS.own} s -> ${row.wallS.shared} s (ratio ${row.wallRatio}); same verdicts: ${row.sameVerdicts ? 'yes' : 'NO'}`);
  return row;
});
const out = join(tmpdir(), 'bootgate-bench-baselines.json');
await writeFile(out, JSON.stringify({ at: new Date().toISOString(), summary, samples }, null, 2) + '\n');
console.log(`figures: ${out}`);
