import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { imagesFor } from './guest-tests.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * vitest globalSetup of both configs: builds the images the selected test files boot, once,
 * before any test, with `bootgate images build` as a user would. Several tests share an image:
 * built here, no test pays for it inside its own timeout, and a build that fails stops the run
 * with its own error instead of failing every test that needed it. The CLI prints each
 * image's build time, or `cached`.
 */
export default async function buildImages(project: TestProject): Promise<void> {
  // Listing tests boots nothing.
  if (process.argv.slice(2).includes('list')) return;
  // The files of this run after include, exclude and command-line filters. vitest's state API
  // is experimental; vitest is pinned in package.json.
  const files = project.vitest.state.getPaths().map((p) => relative(ROOT, p));
  const names = imagesFor(files);
  if (names.length === 0) return;
  if (!existsSync(join(ROOT, 'dist/harness/cli/main.js'))) {
    throw new Error('dist/ is missing: `npm test` and `npm run test:matrix` compile first (tsc -p tsconfig.json)');
  }
  process.stderr.write(`test set-up: building the images these tests boot, once: ${names.join(', ')}\n`);
  const t0 = Date.now();
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/bootgate.js'), 'images', 'build', ...names], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`test set-up: bootgate images build ${names.join(' ')} exited ${code} (its output is above)`);
  process.stderr.write(`test set-up: images ready in ${((Date.now() - t0) / 1000).toFixed(1)}s\n`);
}
