import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandMatrix } from '../harness/config/matrix.js';
import { loadSuite } from '../harness/config/suite.js';
import { ROOT } from './cli-helpers.js';

/** Every suite in suites/ passes the suite checks as they tighten: paths inside the lab, safe names, bounded durations. */
describe('the suites in suites/ load', () => {
  const files = readdirSync(join(ROOT, 'suites')).filter((f) => f.endsWith('.yaml'));
  it('there are suites to check', () => expect(files.length).toBeGreaterThan(5));
  for (const f of files) {
    it(f, async () => {
      const s = await loadSuite(join(ROOT, 'suites', f));
      expect(s.root).toBe(ROOT.replace(/\/$/, ''));
      const ids = expandMatrix(s.suite, ['debian-6.1-generic']).map((c) => c.id);
      expect(ids.length).toBeGreaterThan(0);
      expect(new Set(ids).size).toBe(ids.length);
    });
  }
});
