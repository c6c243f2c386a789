import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadAllRecipes } from '../harness/images/recipe.js';
import { selectImages } from '../harness/images/select.js';
import { ROOT } from './cli-helpers.js';
import { GUEST_TESTS, imagesFor, MATRIX_FILES } from './guest-tests.js';

const intTests = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.int.test.ts'))
    .map((f) => join(dir, f));

/** The images up-front builds make must be the ones the tests really boot. */
describe('test/guest-tests.ts', () => {
  it('declares every test file that runs a suite or builds an image, and only files that exist', () => {
    // bench-aa.js runs a suite of its own (npm run bench:aa); `bootgate fuzz` boots the suite's image.
    const booting = [...intTests('harness'), ...intTests('test')].filter((f) =>
      /(bootgate|BootgateProcess)\(\['(run|rollout|fuzz)'|\[BIN, '(run|fuzz)'|\.ensure\(|bench-aa\.js/.test(readFileSync(join(ROOT, f), 'utf8')),
    );
    expect(booting.sort()).toEqual(Object.keys(GUEST_TESTS).sort());
  });

  it("lists for each file the images its suites' images: select, in their order", async () => {
    const recipes = (await loadAllRecipes(ROOT)).map((l) => l.recipe);
    for (const [file, t] of Object.entries(GUEST_TESTS)) {
      const source = readFileSync(join(ROOT, file), 'utf8');
      const selected: string[] = [];
      for (const suite of t.suites ?? []) {
        expect(source, `${file} runs ${suite}`).toContain(suite.replace(/^suites\//, ''));
        const entries = (parse(readFileSync(join(ROOT, suite), 'utf8')) as { images: string[] }).images;
        for (const e of entries) for (const n of selectImages(e, recipes)) if (!selected.includes(n)) selected.push(n);
      }
      if (t.suites) expect(t.images, file).toEqual(selected);
      for (const n of t.images) expect(existsSync(join(ROOT, 'images', `${n}.yaml`)), `${file}: image ${n}`).toBe(true);
    }
  });

  it('npm test boots the two generic initramfs images and one arm64 image; the matrix every Linux image', async () => {
    const defaults = Object.keys(GUEST_TESTS).filter((f) => !MATRIX_FILES.includes(f));
    expect(imagesFor(defaults)).toEqual(['debian-6.1-generic', 'debian-6.12-generic', 'debian-6.1-generic-arm64']);
    const linux = (await loadAllRecipes(ROOT)).filter((l) => l.recipe.os === 'linux').map((l) => l.recipe.name);
    expect(imagesFor(MATRIX_FILES).sort()).toEqual(linux.sort());
    expect(imagesFor(['test/no-such.int.test.ts', 'harness/run/cell-runner.test.ts'])).toEqual([]);
  });
});
