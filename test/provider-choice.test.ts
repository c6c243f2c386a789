import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSuite } from '../harness/config/suite.js';
import { bootgate } from './cli-helpers.js';
import { makeSuiteLab } from './fixtures/suite-lab.js';
import { MINIMAL_SUITE } from './fixtures/minimal-suite.js';

/** Choosing the VM backend: the suite's provider: and --provider, and what a wrong name gets. */
describe('provider choice', () => {
  it('a suite names its provider; an unknown one is reported at its line, exit 2', async () => {
    const lab = await makeSuiteLab('bootgate-provider-');
    const good = join(lab, 'suites', 'docker.yaml');
    await writeFile(good, `${MINIMAL_SUITE}provider: docker\n`);
    expect((await loadSuite(good)).suite.provider).toBe('docker');
    const bad = join(lab, 'suites', 'bad.yaml');
    await writeFile(bad, `${MINIMAL_SUITE}provider: dokcer\n`);
    const line = MINIMAL_SUITE.split('\n').length;
    const r = await bootgate(['run', bad]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`bad\\.yaml:${line}: provider: .*qemu.*docker`));
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--provider with an unknown name is a usage error naming the known ones, exit 2', async () => {
    const r = await bootgate(['run', 'suites/quickstart.yaml', '--provider', 'dokcer']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toBe('bootgate: error: --provider: no provider "dokcer" (known: qemu, docker): did you mean `docker`?\n');
  });
});
