import type { GatePolicy } from '../results/policy-schema.js';
import { evaluateGate } from '../gate/evaluate.js';
import type { GateResult } from '../results/gate-schema.js';
import { writeGate } from '../results/run-files.js';
import type { RunResult } from '../results/schema.js';
import type { ReportContext, Reporter } from './reporter.js';

export interface FinishedRun {
  gate: GateResult;
  /** The gate's exit code, or 3 when the gate passed but a reporter could not write its file. */
  exitCode: number;
  files: string[];
}

/** Give every reporter the finished run; one that fails is said on stderr and never hides the verdict. */
export async function runReporters(reporters: Reporter[], run: RunResult, runDir: string, ctx: ReportContext, warn: (line: string) => void): Promise<{ files: string[]; failed: string[] }> {
  const files: string[] = [];
  const failed: string[] = [];
  for (const r of reporters) {
    if (!r.onEnd) continue;
    try {
      files.push(...(await r.onEnd(run, runDir, ctx)));
    } catch (e) {
      failed.push(r.name);
      warn(`bootgate: reporter ${r.name} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { files, failed };
}

/**
 * The end of `bootgate run`: the gate judged with the suite's policy and written to gate.json
 * (the same function `bootgate gate` uses), then each reporter's onEnd. The run's exit code is
 * the gate's.
 */
export async function finishRun(o: { run: RunResult; runDir: string; policy: GatePolicy; reporters: Reporter[]; now?: Date; warn?: (line: string) => void }): Promise<FinishedRun> {
  const warn = o.warn ?? ((l: string) => process.stderr.write(l + '\n'));
  const gate = evaluateGate(o.run, o.policy, { now: o.now ?? new Date(), policySource: 'run.json' });
  const gateFile = await writeGate(o.runDir, gate);
  const { files, failed } = await runReporters(o.reporters, o.run, o.runDir, { gate }, warn);
  return { gate, exitCode: failed.length && gate.exitCode === 0 ? 3 : gate.exitCode, files: [gateFile, ...files] };
}
