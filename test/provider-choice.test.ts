import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSuite } from '../harness/config/suite.js';
import { bootgate, ROOT } from './cli-helpers.js';
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

  it('the docker provider refuses arm64 images at the suite\'s images line, before anything is built, exit 2', async () => {
    const results = await makeSuiteLab('bootgate-provider-arch-');
    const r = await bootgate(['run', 'suites/quickstart-arm64.yaml', '--provider', 'docker', '--results', results]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toBe(`bootgate: error: ${join(ROOT, 'suites', 'quickstart-arm64.yaml')}:7: images: the docker provider runs amd64 guests only, not debian-6.1-generic-arm64 (arm64), debian-6.12-generic-arm64 (arm64): run them with the qemu provider\n`);
  });
});
