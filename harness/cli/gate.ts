import { Command } from 'commander';
import { resolve } from 'node:path';
import { evaluateGate } from '../gate/evaluate.js';
import { loadPolicyFile } from '../config/policy-file.js';
import { gateLines } from '../report/plain-reporter.js';
import { loadRun, writeGate } from '../results/run-files.js';
import { ConfigError } from '../util/errors.js';
import { jsonText } from '../util/json-text.js';

export interface GateOptions {
  policy?: string;
  json?: boolean;
  /** Evaluate as of this moment (tests); default now. */
  now?: Date;
}

/**
 * `bootgate gate RUN [--policy FILE]`: judge a finished run again, with no booting. Writes
 * RUN/gate.json and returns the gate's exit code: 0 pass, 1 fail, 3 inconclusive (2 for bad input).
 */
export async function gateRun(runPath: string, o: GateOptions, out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  const { run, runDir, file } = await loadRun(resolve(runPath));
  let policy;
  let source: string;
  if (o.policy) {
    policy = await loadPolicyFile(o.policy);
    source = o.policy;
  } else if (run.gate) {
    policy = run.gate;
    source = 'run.json';
  } else {
    throw new ConfigError('NO_POLICY', 'this run.json stores no gate policy (it predates stored policies): give one with --policy FILE', { file });
  }
  const gate = evaluateGate(run, policy, { now: o.now ?? new Date(), policySource: source });
  const written = await writeGate(runDir, gate);
  for (const l of gateLines({ gate })) err(`${l}\n`);
  out(o.json ? jsonText(gate) + '\n' : `${written}\n`);
  return gate.exitCode;
}

export function gateCommand(setCode: (c: number) => void): Command {
  return new Command('gate')
    .description('judge a finished run again under a gate policy, without booting: writes RUN/gate.json; exit 0 pass, 1 fail, 2 bad input, 3 inconclusive')
    .argument('<run>', 'a run folder (results/<run-id>) or its run.json')
    .option('--policy <file>', 'gate policy (YAML); default: the suite policy stored in run.json')
    .option('--json', 'print gate.json instead of its path')
    .action(async (runPath: string, o: GateOptions) => {
      setCode(await gateRun(runPath, o));
    });
}
