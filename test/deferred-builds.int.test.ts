import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootgate, ROOT, vmCount } from './cli-helpers.js';

/**
 * Builds run beside the boots (docs/boot-path.md): a build that fails while the run is under way
 * stops it as a configuration error (exit 2) at the suite's build entry, keeps run.json (the run
 * interrupted), leaves no VM behind, and resumes once the source is fixed.
 */
describe('a build that fails while cells run', () => {
  let lab: string;
  beforeAll(async () => {
    lab = await mkdtemp(join(tmpdir(), 'bootgate-deferred-'));
    await cp(join(ROOT, 'examples/agents/sensor-kmod'), join(lab, 'good'), { recursive: true });
    await cp(join(ROOT, 'examples/agents/sensor-kmod'), join(lab, 'broken'), { recursive: true });
    // A syntax error the compiler stops at: kbuild fails, as a real bad commit does.
    const src = join(lab, 'broken', 'sensor.c');
    await writeFile(src, (await readFile(src, 'utf8')) + '\nstatic int this_does_not_compile( {\n');
    await cp(join(ROOT, 'examples/content/channel-290.txt'), join(lab, 'channel-290.txt'));
    await mkdir(join(lab, 'results'));
    await writeFile(
      join(lab, 'broken.yaml'),
      [
        'name: deferred-builds',
        'images: [debian-6.1-generic]',
        'agent:',
        '  name: sensor',
        '  kind: linux-kmod',
        '  builds:',
        '    - { version: "2.1.0", source: good }',
        '    - { version: "2.1.0-broken", source: broken }',
        'content:',
        '  - { version: "290", path: channel-290.txt }',
        'boot: { baseline: 1, cycles: 1, timeout: 300s, sharedBaseline: false }',
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await rm(lab, { recursive: true, force: true });
  });

  it('exits 2 naming the build entry, keeps the run interrupted, leaves no VM, and resumes once fixed', async () => {
    const r = await bootgate(['run', join(lab, 'broken.yaml'), '--results', join(lab, 'results'), '--reporter', 'plain'], { env: { BOOTGATE_BUILD_JOBS: '1' } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/broken\.yaml:8.*builds\[1\]/);
    const runs = await readdir(join(lab, 'results'));
    expect(runs).toHaveLength(1);
    const run = JSON.parse(await readFile(join(lab, 'results', runs[0]!, 'run.json'), 'utf8'));
    expect(run.status).toBe('interrupted');
    expect(run.cells.find((c: { agent: { build: string } }) => c.agent.build === '2.1.0-broken').status).toBe('pending');
    expect(vmCount(runs[0]!)).toBe(0);

    // The source fixed, the run resumes: the cell that never started builds and runs now.
    await cp(join(lab, 'good', 'sensor.c'), join(lab, 'broken', 'sensor.c'));
    const again = await bootgate(['run', '--resume', join(lab, 'results', runs[0]!), '--reporter', 'plain']);
    expect(again.code, again.stderr + again.stdout).toBe(0);
    const done = JSON.parse(await readFile(join(lab, 'results', runs[0]!, 'run.json'), 'utf8'));
    expect(done.status).toBe('finished');
    expect(done.cells.map((c: { verdict: string }) => c.verdict)).toEqual(['pass', 'pass']);
    expect(done.cells.every((c: { agent: { artifact?: string } }) => c.agent.artifact)).toBe(true);
  });
});
