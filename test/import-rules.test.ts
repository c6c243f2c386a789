import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkImports, describe as describeGraph, findCycles, importsOf, problems } from '../scripts/import-rules.js';

const root = join(import.meta.dirname, '..');

describe('import rules of harness/', () => {
  it('hold on this tree: no back-edge, no cycle, no unplaced folder, every file reached from the CLI', () => {
    const r = checkImports(root);
    // The picture of the house, in the test output.
    console.log(describeGraph(r));
    expect(problems(r)).toEqual([]);
    expect(r.files.length).toBeGreaterThan(100);
  });

  describe('on a copy of this tree with a deliberate mistake', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'bootgate-import-rules-'));
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));
    cpSync(join(root, 'harness'), join(tmp, 'harness'), { recursive: true, filter: (p) => !p.includes('testdata') });
    // Scripts are entry points too: the files only they reach are reached.
    cpSync(join(root, 'scripts'), join(tmp, 'scripts'), { recursive: true });

    it('the copy is clean before the mistake', () => {
      expect(problems(checkImports(tmp))).toEqual([]);
    });

    it('fails on a back-edge, naming the file, the line and the floors', () => {
      appendFileSync(join(tmp, 'harness/util/errors.ts'), "\nimport type { RunEvent } from '../run/events.js';\nexport type _Back = RunEvent;\n");
      const p = problems(checkImports(tmp));
      expect(p.some((l) => /^harness\/util\/errors\.ts:\d+: imports harness\/run\/events\.ts: util \(floor 0\) imports run \(floor 7\), a higher floor$/.test(l))).toBe(true);
    });

    it('fails on a sideways import between folders of one floor', () => {
      appendFileSync(join(tmp, 'harness/detect/linux-taint.ts'), "\nimport '../images/recipe.js';\n");
      expect(problems(checkImports(tmp)).some((l) => l.includes('detect imports images sideways'))).toBe(true);
    });

    it('fails on a file no command reaches, and on an unplaced folder', () => {
      writeFileSync(join(tmp, 'harness/util/orphan.ts'), 'export const x = 1;\n');
      writeFileSync(join(tmp, 'harness/newfolder.ts'), 'export const y = 1;\n');
      const p = problems(checkImports(tmp));
      expect(p).toContain('harness/util/orphan.ts: reached from no command (harness/cli/main.ts): wire it in or delete it');
      expect(p.some((l) => l.includes('has no floor'))).toBe(true);
    });
  });

  it('finds cycles, and a file importing itself', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['d']],
      ['e', ['a']],
    ]);
    expect(findCycles(g)).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('reads static, dynamic, side-effect and re-export imports with their lines', () => {
    const src = "import a from './a.js';\nimport type { B } from \"../b.js\";\nexport { c } from './c.js';\nconst d = await import('./d.js');\nimport './e.js';\nimport x from 'node:fs';\n";
    expect(importsOf(src)).toEqual([
      { spec: './a.js', line: 1 },
      { spec: '../b.js', line: 2 },
      { spec: './c.js', line: 3 },
      { spec: './d.js', line: 4 },
      { spec: './e.js', line: 5 },
    ]);
  });
});
