import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadSuite } from '../config/suite.js';
import { projectRoot } from '../util/paths.js';
import { confirmSuite } from './fuzz-confirm.js';

describe('confirmSuite', () => {
  it('narrows the suite to one image, agent and build, the minimized content alone, a boot loop\'s worth of boots', async () => {
    const file = join(projectRoot(), 'suites/ebpf-vs-kmod.yaml');
    const s = await loadSuite(file);
    const raw = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const agent = s.suite.agents![0]!;
    const out = confirmSuite(raw, s, { agent: agent.name, build: agent.builds[0]!.version, image: 'debian-6.12-generic', content: '/tmp/x/content.txt', version: 'fuzz-abc' });
    expect(out).toMatchObject({
      name: `${s.suite.name}-fuzz-confirm`,
      images: ['debian-6.12-generic'],
      content: [{ version: 'fuzz-abc', path: '/tmp/x/content.txt' }],
      allowOutside: true,
      agent: { name: agent.name, builds: [{ version: agent.builds[0]!.version, source: join(projectRoot(), agent.builds[0]!.source!) }] },
    });
    expect(out.agents).toBeUndefined();
    expect(out.matrix).toBeUndefined();
    expect((out.boot as Record<string, unknown>).cycles).toBe(s.suite.boot.bootLoop);
    expect((out.boot as Record<string, unknown>).sharedBaseline).toBe(false);
    expect(out.gate).toEqual(raw.gate);
  });
});
