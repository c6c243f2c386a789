import { readFileSync } from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../util/paths.js';
import { contentLines, fieldHits, resolveBound } from './content-lines.js';
import { ddmin } from './ddmin.js';
import { applyEdits, type Edit } from './edits.js';
import { lineDiff } from './line-diff.js';
import { makeMutant } from './mutant.js';
import { MUTATORS } from './mutators.js';
import { Prng } from './prng.js';
import { loadContentTemplate } from './template-file.js';

const root = projectRoot();
const seed290 = readFileSync(join(root, 'examples/content/channel-290.txt'), 'latin1');
const template = await loadContentTemplate(join(root, 'examples/agents/sensor-kmod/content-template.yaml'));

describe('content template', () => {
  it('reads the sensor content: records, fields and a bound resolved in the content', () => {
    const lines = contentLines(seed290, template);
    expect(lines.filter((l) => l.record?.keyword === 'rule')).toHaveLength(9);
    const fields = fieldHits(lines).filter((h) => h.field.name === 'field').map((h) => h.value);
    expect(fields).toEqual(['1', '1', '2', '3', '4', '10', '19', '17', '20']);
    expect(resolveBound('template.fields', lines)).toBe(21);
  });

  it('refuses a bound that names no numeric field, at its line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bootgate-template-'));
    const f = join(dir, 't.yaml');
    writeFileSync(f, 'format: lines\nrecords:\n  - keyword: rule\n    fields:\n      - { name: field, key: field, type: int, max: template.nope }\n');
    expect(String(await loadContentTemplate(f).catch((e: unknown) => e))).toMatch(/t\.yaml:5: records\[0\]\.fields\[0\]\.max: template\.nope names no int/);
    writeFileSync(f, 'format: lines\nrecords:\n  - keyword: rule\n    fields:\n      - { name: field, type: int }\n');
    expect(String(await loadContentTemplate(f).catch((e: unknown) => e))).toMatch(/t\.yaml:5.*positional \(at:\) or keyed \(key:\)/);
  });
});

describe('edits', () => {
  it('change only the tokens they name, keeping the line\'s spacing', () => {
    const text = 'channel 1\nrule a  field=1   op=eq value=0\n';
    const e: Edit[] = [{ kind: 'set-token', line: 1, token: 2, value: 'field=21', why: '' }];
    expect(applyEdits(text, e)).toBe('channel 1\nrule a  field=21   op=eq value=0\n');
    expect(applyEdits(text, [{ kind: 'insert-token', line: 1, token: 3, value: 'field=9', why: '' }])).toBe('channel 1\nrule a  field=1   field=9 op=eq value=0\n');
    expect(applyEdits(text, [{ kind: 'delete-line', line: 0, why: '' }, { kind: 'insert-line', after: 1, text: 'x', why: '' }])).toBe('rule a  field=1   op=eq value=0\nx\n');
    expect(applyEdits(text, [{ kind: 'truncate', at: 4, why: '' }])).toBe('chan');
    expect(applyEdits(text, [{ kind: 'insert-bytes', at: 0, hex: '00ff', why: '' }])).toBe('\u0000\u00ffchannel 1\nrule a  field=1   op=eq value=0\n');
  });

  it('apply in any subset: the minimizer drops edits freely', () => {
    const e: Edit[] = [
      { kind: 'set-token', line: 1, token: 2, value: 'field=21', why: '' },
      { kind: 'delete-line', line: 1, why: '' },
    ];
    expect(applyEdits('a\nrule x field=1', e)).toBe('a');
    expect(applyEdits('a\nrule x field=1', e.slice(0, 1))).toBe('a\nrule x field=21');
    expect(applyEdits('a\nrule x field=1', [])).toBe('a\nrule x field=1');
  });
});

describe('mutants', () => {
  it('are the same for the same seed and index, and differ across seeds', () => {
    const seeds = [{ version: '290', text: seed290 }];
    const a = Array.from({ length: 50 }, (_, i) => makeMutant(seeds, template, 7, i).text);
    const b = Array.from({ length: 50 }, (_, i) => makeMutant(seeds, template, 7, i).text);
    const c = Array.from({ length: 50 }, (_, i) => makeMutant(seeds, template, 8, i).text);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(new Set(a).size).toBeGreaterThan(40);
    expect(a.every((t) => t !== seed290)).toBe(true);
  });

  it('every mutator applies to the sensor seed but regex (the sensor has no regex field)', () => {
    const lines = contentLines(seed290, template);
    for (const mu of MUTATORS) {
      const e = mu.mutate({ lines, seedLength: seed290.length, rng: new Prng(1) });
      if (mu.name === 'regex') expect(e).toBeUndefined();
      else expect(e, mu.name).toBeDefined();
    }
  });

  it('reach a non-wildcard rule on the template\'s last field from 290 alone, in a few hundred', () => {
    // What crashes sensor 2.1.0: some rule line with field=21 and an operator other than any.
    const hit = (t: string) => t.split('\n').some((l) => /^rule\s/.test(l) && /\bfield=21\b/.test(l) && !/\bop=any\b/.test(l) && !/value=\*/.test(l));
    const seeds = [{ version: '290', text: seed290 }];
    const first = (s: number) => Array.from({ length: 2000 }, (_, i) => i).find((i) => hit(makeMutant(seeds, template, s, i).text));
    const found = [1, 2, 3, 4, 5].map(first);
    expect(found.every((i) => i !== undefined && i < 500), JSON.stringify(found)).toBe(true);
  });

  it('find a string past its length limit and a count past its maximum', () => {
    const seeds = [{ version: '290', text: seed290 }];
    const ms = Array.from({ length: 500 }, (_, i) => makeMutant(seeds, template, 3, i).text);
    expect(ms.some((t) => /^rule A{32,}\s/m.test(t))).toBe(true);
    expect(ms.some((t) => t.split('\n').filter((l) => l.startsWith('rule ')).length > 256)).toBe(true);
  });
});

describe('ddmin', () => {
  it('finds the one edit that matters and the pair that matter together', async () => {
    const xs = Array.from({ length: 10 }, (_, i) => i);
    const one = await ddmin(xs, async (s) => s.includes(7));
    expect(one.items).toEqual([7]);
    const two = await ddmin(xs, async (s) => s.includes(2) && s.includes(8));
    expect(two.items.sort()).toEqual([2, 8]);
    expect(two.probes).toBeLessThan(40);
  });

  it('keeps what it has when the probe budget runs out', async () => {
    const r = await ddmin([1, 2, 3, 4], async () => false, { maxProbes: 2 });
    expect(r.items).toEqual([1, 2, 3, 4]);
    expect(r.probes).toBe(2);
  });
});

describe('lineDiff', () => {
  it('shows the changed line with its context', () => {
    const d = lineDiff('a\nb\nc\nd\ne\nf\n', 'a\nb\nC\nd\ne\nf\n', { from: 'seed', to: 'mutant' }, 1);
    expect(d).toBe('--- seed\n+++ mutant\n@@ -2,3 +2,3 @@\n b\n-c\n+C\n d\n');
    expect(lineDiff('x\n', 'x\n', { from: 'a', to: 'b' })).toBe('--- a\n+++ b\n');
  });
});
