import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootgate } from './cli-helpers.js';
import { MINIMAL_SUITE } from './fixtures/minimal-suite.js';
import { makeSuiteLab } from './fixtures/suite-lab.js';

/** `bootgate fuzz` refuses bad input before anything is built or booted: one line naming file, line and field, exit 2. */
const lab = await makeSuiteLab('bootgate-fuzz-cli-');
const suite = join(lab, 'suites', 'fz.yaml');
await writeFile(suite, MINIMAL_SUITE);
const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .*:\d+:\d+/);

describe('bootgate fuzz: bad input, exit 2, no stack trace', () => {
  it('a flag out of range', async () => {
    for (const [args, msg] of [
      [['--mutants', '0'], '--mutants takes a whole number >= 1, not 0'],
      [['--budget', 'soon'], '--budget takes a duration (30s, 10m, 1h), not soon'],
      [['--seed', '-3'], '--seed takes a whole number >= 0, not -3'],
    ] as const) {
      const r = await bootgate(['fuzz', suite, ...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(msg);
      noStack(r.stderr);
    }
  });

  it('a build with no content template: the build\'s source line', async () => {
    const r = await bootgate(['fuzz', suite]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^bootgate: error: ${suite}:7: builds\\[0\\]\\.source: build 2\\.1\\.0: no content template at .*content-template\\.yaml`));
    noStack(r.stderr);
  });

  it('a template whose bound names nothing: the template\'s line', async () => {
    const t = join(lab, 'examples/agents/sensor-kmod/content-template.yaml');
    await writeFile(t, 'format: lines\nrecords:\n  - keyword: rule\n    fields:\n      - { name: field, key: field, type: int, max: template.fields }\n');
    const r = await bootgate(['fuzz', suite]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toBe(`bootgate: error: ${t}:5: records[0].fields[0].max: template.fields names no int or uint field of this template\n`);
  });

  it('content or a build the suite does not have', async () => {
    await writeFile(join(lab, 'examples/agents/sensor-kmod/content-template.yaml'), 'format: lines\nrecords:\n  - keyword: channel\n');
    const c = await bootgate(['fuzz', suite, '--content', '999']);
    expect(c.code, c.stderr).toBe(2);
    expect(c.stderr).toBe(`bootgate: error: ${suite}:9: --content: no content 999 in this suite (it has: 290)\n`);
    const b = await bootgate(['fuzz', suite, '--build', '9.9']);
    expect(b.code, b.stderr).toBe(2);
    expect(b.stderr).toContain('--build: agent sensor has no build 9.9 (it has: 2.1.0)');
  });

  it('a corpus fuzzed with something else is not resumed', async () => {
    const corpus = join(lab, 'corpus');
    await mkdir(corpus);
    await writeFile(join(corpus, 'fuzz.json'), '{"schema": "bootgate.fuzz/v1"}\n');
    const bad = await bootgate(['fuzz', suite, '--corpus', corpus]);
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toMatch(/fuzz\.json: .*not a bootgate\.fuzz\/v1 file/);
    noStack(bad.stderr);
  });
});
