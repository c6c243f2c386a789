import type { FuzzResult } from '../results/fuzz-schema.js';
import type { ExitCode } from '../util/errors.js';

export interface FuzzVerdict {
  verdict: 'pass' | 'fail' | 'error';
  exitCode: ExitCode;
  maxCrashes: number;
  reasons: string[];
}

/**
 * A fuzz run judged under the suite's gate: each distinct crash counts once against maxCrashes
 * (0 by default), as crashes after install count in a run. A run the lab could not finish, or
 * one interrupted (Ctrl-C), is inconclusive, exit 3, as for `run`: what it found is kept and said.
 */
export function judgeFuzz(r: Pick<FuzzResult, 'status' | 'error' | 'crashes' | 'stats'>, maxCrashes: number): FuzzVerdict {
  const reasons: string[] = [];
  const n = r.crashes.length;
  for (const c of r.crashes) {
    const loop = c.confirm ? (c.confirm.bootLoop ? ', boot loop confirmed' : `, confirmation: ${c.confirm.crashedBoots}/${c.confirm.boots} boots crashed`) : '';
    reasons.push(`crash: ${c.crash.title} (${c.hits} mutant${c.hits === 1 ? '' : 's'}${loop})`);
  }
  if (r.status === 'error') return { verdict: 'error', exitCode: 3, maxCrashes, reasons: [`the lab failed: ${r.error ?? 'unknown error'}`, ...reasons] };
  if (r.status !== 'finished') return { verdict: 'error', exitCode: 3, maxCrashes, reasons: [`interrupted after ${r.stats.mutants} mutants: the budget was not spent (Ctrl-C exits 3, as every command does; resume with --corpus)`, ...reasons] };
  if (n > maxCrashes) return { verdict: 'fail', exitCode: 1, maxCrashes, reasons: [`${n} distinct crash${n === 1 ? '' : 'es'} in ${r.stats.mutants} mutants (gate allows ${maxCrashes})`, ...reasons] };
  return { verdict: 'pass', exitCode: 0, maxCrashes, reasons: [`${r.stats.mutants} mutants, ${r.stats.refused} refused cleanly, no crash beyond the ${maxCrashes} allowed`, ...reasons] };
}
