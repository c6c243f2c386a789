import { describe, expect, it } from 'vitest';
import type { FuzzResult } from '../results/fuzz-schema.js';
import { fuzzMarkdown } from './fuzz-markdown.js';

const r: FuzzResult = {
  schema: 'bootgate.fuzz/v1',
  id: 'q-fuzz',
  status: 'finished',
  suite: { name: 'q', file: '/s.yaml', sha256: 'x' },
  image: 'debian-6.1-generic',
  agent: { name: 'sensor', kind: 'linux-kmod', build: '2.1.0' },
  template: { file: '/t.yaml', sha256: 'y' },
  seeds: [{ version: '290', path: '/c', sha256: 'z' }],
  seedValue: 1,
  budget: { mutants: 30 },
  startedAt: '2026-01-01T00:00:00.000Z',
  stats: { mutants: 30, accepted: 10, refused: 18, crashed: 2, distinctCrashes: 1, restores: 2, loadSeconds: 20, mutantsPerMinute: 90, bootSeconds: 28, firstCrash: { mutants: 8, seconds: 5 } },
  mutators: {},
  crashes: [
    {
      signature: '3dc2546fc2a258a1ff',
      crash: { os: 'linux', source: 'console', class: 'null-deref', title: 'BUG: kernel NULL pointer dereference in sensor_parse_channel\u001b[2J', function: 'sensor_parse_channel', module: 'sensor', signature: '3dc2546fc2a258a1ff' },
      mutant: 7,
      seed: '290',
      mutators: ['duplicate-key'],
      hits: 2,
      minimized: { edits: [{ kind: 'insert-token', why: 'field twice: 19 then 21' }], probes: 0, content: 'crashes/3dc/content.txt', diff: 'crashes/3dc/seed.diff', record: 'crashes/3dc/crash.json' },
      confirm: { run: 'confirm/r', verdict: 'fail', bootLoop: true, boots: 2, crashedBoots: 2 },
    },
  ],
  gate: { verdict: 'fail', exitCode: 1, maxCrashes: 0, reasons: ['1 distinct crash in 30 mutants (gate allows 0)'] },
};

describe('fuzzMarkdown', () => {
  it('a section per crash: function, module, minimized edits, boot loop, the diff and the content, guest text made printable', () => {
    const md = fuzzMarkdown(r, new Map([[r.crashes[0]!.signature, { diff: '--- a\n+++ b\n-rule x field=19\n+rule x field=19 field=21\n', content: 'rule ```x field=21\n' }]]));
    expect(md).toContain('**FAIL**: 1 distinct crash in 30 mutants (gate allows 0)');
    expect(md).toContain('| mutants | 30: 10 loaded, 18 refused cleanly, 2 crashed |');
    expect(md).toContain('## BUG: kernel NULL pointer dereference in sensor_parse_channel');
    expect(md).not.toContain('\u001b');
    expect(md).toContain('function `sensor_parse_channel`, module `sensor`');
    expect(md).toContain('minimized in 0 loads to: field twice: 19 then 21');
    expect(md).toContain('**boot loop**, 2/2 boots crashed');
    expect(md).toContain('```diff\n--- a\n+++ b\n-rule x field=19\n+rule x field=19 field=21\n```');
    // A fence longer than any backtick run in the quoted content.
    expect(md).toContain('````\nrule ```x field=21\n````');
  });
});
