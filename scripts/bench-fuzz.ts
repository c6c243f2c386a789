/**
 * `npm run bench:fuzz` (issue 19): what content fuzzing costs against booting, on this machine, in
 * one run. Five fuzz runs of sensor-kmod 2.1.0 on debian-6.1-generic from content 290 alone, seed
 * values 1 to 5, each to its first crash (minimized, not confirmed): per run, the boot of its guest
 * (cold, to ready, the agent installed and the seed loaded) and its mutants per minute of loads.
 * Prints mutants/min against boots/min (target: at least 10x) and the median time to the first
 * crash (in seconds of loads and in mutants). Figures, not assertions: the host is shared.
 * FUZZ_SEEDS=N changes the number of runs (default 5); FUZZ_MUTANTS the cap per run (default 300).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFuzz } from '../harness/run/fuzz-session.js';
import { median } from '../harness/util/stats.js';
import { cacheRoot, projectRoot } from '../harness/util/paths.js';

const SEEDS = Number(process.env.FUZZ_SEEDS ?? 5);
const CAP = Number(process.env.FUZZ_MUTANTS ?? 300);
const root = projectRoot();
const results = await mkdtemp(join(tmpdir(), 'bootgate-bench-fuzz-'));
const ac = new AbortController();
process.on('SIGINT', () => ac.abort(new Error('interrupted')));

interface Row {
  seed: number;
  bootS: number;
  perMin: number;
  firstCrashS?: number;
  firstCrashMutants?: number;
  title?: string;
}
const rows: Row[] = [];
try {
  for (let seed = 1; seed <= SEEDS && !ac.signal.aborted; seed++) {
    const r = await runFuzz({
      suiteFile: join(root, 'suites/quickstart.yaml'),
      content: ['290'],
      seedValue: seed,
      mutants: CAP,
      untilCrash: true,
      confirm: false,
      resultsDir: results,
      cacheDir: cacheRoot(),
      root,
      progress: (l) => process.stderr.write(`  ${l}\n`),
      signal: ac.signal,
    });
    const st = r.result.stats;
    const row: Row = { seed, bootS: st.bootSeconds ?? NaN, perMin: st.mutantsPerMinute, firstCrashS: st.firstCrash?.seconds, firstCrashMutants: st.firstCrash?.mutants, title: r.result.crashes[0]?.crash.title };
    rows.push(row);
    process.stdout.write(`seed ${seed}: boot ${row.bootS.toFixed(1)} s; ${row.perMin} mutants/min; first crash ${row.firstCrashS === undefined ? `none in ${st.mutants}` : `after ${row.firstCrashMutants} mutants, ${row.firstCrashS} s of loads: ${row.title}`}\n`);
  }
} finally {
  await rm(results, { recursive: true, force: true });
}
const bootsPerMin = median(rows.map((r) => 60 / r.bootS));
const mutantsPerMin = median(rows.map((r) => r.perMin));
const found = rows.filter((r) => r.firstCrashS !== undefined);
process.stdout.write(`\nsensor-kmod 2.1.0 on debian-6.1-generic, from content 290 alone, ${rows.length} seeds\n`);
process.stdout.write(`mutants/min ${mutantsPerMin.toFixed(1)} (median) vs boots/min ${bootsPerMin.toFixed(2)} (median; a boot: cold to ready, agent installed): ${(mutantsPerMin / bootsPerMin).toFixed(1)}x (target >= 10x)\n`);
if (found.length) {
  process.stdout.write(`time to first crash: median ${median(found.map((r) => r.firstCrashS!)).toFixed(1)} s of loads, ${median(found.map((r) => r.firstCrashMutants!))} mutants (found with ${found.length} of ${rows.length} seeds within ${CAP} mutants)\n`);
} else process.stdout.write(`time to first crash: none found within ${CAP} mutants\n`);
process.exitCode = found.length === rows.length ? 0 : 1;
