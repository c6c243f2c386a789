import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootDetectorFor } from '../harness/detect/registry.js';
import { primaryCrash } from '../harness/run/boot-watch.js';
import { CRASHER_KINDS, PARSER_GAPS } from './crasher-kinds.js';

/** Real consoles of every crashers kind, as the lab recorded them (see the README there). */
const DIR = join(import.meta.dirname, '../harness/detect/testdata/crashers');
const KERNELS = ['6.1', '6.12'];

/** What the lab makes of a console: the boot detector over the whole log, then the boot's primary crash. */
function recordOf(text: string) {
  const d = bootDetectorFor('linux');
  return primaryCrash([...d.push(text), ...d.end()]);
}

describe('the console parser over every recorded crashers console', () => {
  it('has a console of every kind on both kernels, and nothing else', () => {
    for (const k of KERNELS) {
      // <kind>-<setting>.log: an earlier recording of a kind under another lab setting (see the README).
      const kinds = readdirSync(join(DIR, k)).filter((f) => f.endsWith('.log') && !/-loglevel\d\.log$/.test(f)).map((f) => f.slice(0, -4)).sort();
      expect(kinds, k).toEqual([...Object.keys(CRASHER_KINDS), 'none'].sort());
    }
  });

  for (const k of KERNELS) {
    it(`${k}/none: a clean boot of the module gives no record`, () => {
      expect(recordOf(readFileSync(join(DIR, k, 'none.log'), 'utf8'))).toBeUndefined();
    });
    for (const [kind, want] of Object.entries(CRASHER_KINDS)) {
      const gap = PARSER_GAPS[`${k}/${kind}`];
      // A gap is a case today's parser gets wrong and that is being fixed (its reason says how):
      // it.fails turns into a failure the day the parser gets it right, so the mark goes then.
      const test = gap ? it.fails : it;
      test(`${k}/${kind}: class ${want.cls[0]}, function ${want.fn.join(' or ')}, module crashers${gap ? ` (parser gap: ${gap})` : ''}`, () => {
        const r = recordOf(readFileSync(join(DIR, k, `${kind}.log`), 'utf8'));
        expect(r, 'a crash record').toBeDefined();
        expect(want.cls, `class ${r!.class}`).toContain(r!.class);
        expect(want.fn, `function ${r!.function}`).toContain(r!.function);
        expect(r!.module).toBe('crashers');
      });
    }
  }
});
