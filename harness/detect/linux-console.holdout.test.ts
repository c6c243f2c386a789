/**
 * A blind check: 40 real console logs of syzkaller's report test data that are not in the sample
 * (testdata/linux-console-holdout/README.md says which and how they were picked). No rule was
 * developed on them; their figures are printed on every run, with floors a little under them.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeScore, loadConsoleFixtures, scoreCorpus } from '../../test/console-corpus.js';

const DIR = fileURLToPath(new URL('./testdata/linux-console-holdout/', import.meta.url));

describe('Linux console holdout (never tuned on)', () => {
  const fixtures = loadConsoleFixtures(DIR);

  it('prints its figures and stays above its floors', () => {
    expect(fixtures.length).toBe(40);
    const s = scoreCorpus(fixtures);
    console.log(`holdout (${s.logs} logs): ${describeScore(s)}`);
    if (process.env.SHOW_TITLE_MISSES) console.log(s.misses.join('\n'));
    expect(s.answered).toBeGreaterThanOrEqual(HOLDOUT_ANSWERED);
    expect(s.falseAlarms).toBe(0);
    expect(s.titled).toBeGreaterThanOrEqual(HOLDOUT_TITLED);
  });
});

/**
 * Floors, a little under the figures reached (39/40 answered, 25/39 titles; before issue 15's
 * rules: 39/40 and 23/39). The one wrong answer is a Go runtime error of syzkaller's fuzzer.
 */
const HOLDOUT_ANSWERED = 38;
const HOLDOUT_TITLED = 23;
