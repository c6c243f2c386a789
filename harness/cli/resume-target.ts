import { resolve } from 'node:path';
import { loadSuite } from '../config/suite.js';
import { JOURNAL_FILE } from '../results/journal.js';
import { listRuns } from '../results/run-files.js';
import { ConfigError } from '../util/errors.js';
import { pathExists } from '../util/fsutil.js';

/**
 * The run folder `--resume` names: a folder as given, or `latest`: the newest run of SUITE under
 * the results folder (a journal is what makes it resumable; openForResume says when it finished).
 */
export async function resumeTarget(value: string, suite: string | undefined, resultsDir: string): Promise<string> {
  if (value !== 'latest') return resolve(value);
  if (!suite) throw new ConfigError('USAGE', '--resume latest needs the suite: `bootgate run SUITE --resume latest`', { field: '--resume' });
  const s = await loadSuite(resolve(suite));
  for (const l of await listRuns(resultsDir)) {
    if (l.run?.suite.name === s.suite.name && (await pathExists(resolve(l.dir, JOURNAL_FILE)))) return l.dir;
  }
  throw new ConfigError('NOTHING_TO_RESUME', `no run of suite ${s.suite.name} under ${resultsDir} to resume`, { field: '--resume' });
}
