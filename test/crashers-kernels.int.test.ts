import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../harness/results/schema.js';
import { bootgate, printedRun } from './cli-helpers.js';
import { CRASHER_KINDS, PARSER_GAPS } from './crasher-kinds.js';

/** Every crashers kind on 6.1 and 6.12, in real guests: suites/crashers-kernels.yaml (36 cells). */
const KERNELS: Record<string, string> = { '6.1': 'debian-6.1-generic', '6.12': 'debian-6.12-generic' };

let run: RunResult;
let results: string;

beforeAll(async () => {
  results = mkdtempSync(join(tmpdir(), 'bootgate-crashers-kernels-'));
  const r = await bootgate(['run', 'suites/crashers-kernels.yaml', '--results', results, '-j', '2']);
  expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace
  expect(r.code, r.stderr.slice(-4000)).toBe(1);
  run = printedRun(r);
  const rows = run.cells.map((c) => [c.id, c.verdict, c.cycles[0]?.crash?.class ?? '-', c.cycles[0]?.crash?.function ?? '-', c.cycles[0]?.crash?.module ?? '-'].join('  '));
  console.log(rows.join('\n'));
});

describe('crashers on two kernels, for real', () => {
  const cell = (image: string, kind: string) => {
    const c = run.cells.find((x) => x.image.name === image && x.content.version === kind);
    expect(c, `${image} ${kind}`).toBeDefined();
    return c!;
  };

  for (const [k, image] of Object.entries(KERNELS)) {
    it(`${k}/none passes: the module loads, nothing crashes in the soak`, () => {
      const c = cell(image, 'none');
      expect(c.verdict, c.reason).toBe('pass');
      expect(c.cycles[0]).toMatchObject({ booted: true, outcome: 'ready', health: { ok: true, output: 'none' } });
    });
    for (const [kind, want] of Object.entries(CRASHER_KINDS)) {
      const gap = PARSER_GAPS[`${k}/${kind}`];
      const test = gap ? it.fails : it;
      test(`${k}/${kind}: ${want.cls[0]} in ${want.fn.join(' or ')} [crashers], ${want.nonFatal ? 'the boot goes on' : 'a boot loop'}${gap ? ` (parser gap: ${gap})` : ''}`, () => {
        const c = cell(image, kind);
        const y = c.cycles[0]!;
        expect(c.verdict, c.reason).toBe('fail');
        expect(y.crash, `${kind}: a record (console ${readFileSync(join(results, run.id, y.consoleLog), 'utf8').length} chars)`).toMatchObject({ source: 'console', module: 'crashers' });
        expect(want.cls, `class ${y.crash!.class}`).toContain(y.crash!.class);
        expect(want.fn, `function ${y.crash!.function}`).toContain(y.crash!.function);
        if (want.nonFatal) expect(y).toMatchObject({ booted: true });
        else expect(c.bootLoop).toBe(true);
      });
    }
  }
});
