import { Command } from 'commander';
import { resolve } from 'node:path';
import { KCIDB_ORIGIN, kcidbFromRun } from '../report/kcidb.js';
import { loadGate, loadRun } from '../results/run-files.js';
import { ConfigError, EXIT } from '../util/errors.js';
import { unwritableFile, writeFileAtomic } from '../util/fsutil.js';
import { jsonText } from '../util/json-text.js';

export interface ExportOptions {
  kcidb?: boolean;
  output?: string;
  origin: string;
  logBase?: string;
}

function checkOptions(o: ExportOptions): void {
  if (!o.kcidb) throw new ConfigError('USAGE', 'say the format: --kcidb (KernelCI KCIDB JSON)', { field: 'export' });
  if (!KCIDB_ORIGIN.test(o.origin)) throw new ConfigError('USAGE', `${JSON.stringify(o.origin)} is no KCIDB origin: lower-case letters, digits and _ only`, { field: '--origin' });
  if (o.logBase !== undefined && !URL.canParse(o.logBase)) throw new ConfigError('USAGE', `${JSON.stringify(o.logBase)} is not an absolute URL (e.g. https://ci.example.org/runs/RUN/)`, { field: '--log-base' });
}

/** `bootgate export --kcidb RUN`: the stored run (and its gate.json) as KCIDB JSON, to stdout or -o FILE. */
export async function exportRun(path: string, o: ExportOptions, out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  checkOptions(o);
  const { run, runDir } = await loadRun(resolve(path));
  const text = jsonText(kcidbFromRun(run, { origin: o.origin, gate: await loadGate(runDir), logBase: o.logBase })) + '\n';
  if (o.output === undefined || o.output === '-') {
    out(text);
    return EXIT.pass;
  }
  const file = resolve(o.output);
  await writeFileAtomic(file, text).catch((e: unknown) => {
    throw unwritableFile(file, 'the export', e);
  });
  out(`${file}\n`);
  return EXIT.pass;
}

export function exportCommand(setCode: (c: number) => void): Command {
  return new Command('export')
    .description('write a stored run in a format other tools read: --kcidb, KernelCI KCIDB JSON (I/O schema 4.5)')
    .argument('<run>', 'a run folder (results/<run-id>) or its run.json')
    .option('--kcidb', 'KCIDB JSON: a checkout for the run, a build per image kernel, a test per cell, boot and step, an issue per crash signature with its incidents')
    .option('-o, --output <file>', 'write to this file (default: standard output)')
    .option('--origin <name>', 'the KCIDB origin, the CI system that submits: lower-case letters, digits, _', 'bootgate')
    .option('--log-base <url>', "where the run folder is published: each boot's log_url is its console log under it")
    .action(async (run: string, o: ExportOptions) => {
      setCode(await exportRun(run, o));
    });
}
