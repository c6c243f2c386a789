import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (or installed package) root: where images/, suites/ and examples/ live. */
export function projectRoot(): string {
  // This file is harness/util/paths.ts, or dist/harness/util/paths.js once compiled.
  const here = dirname(fileURLToPath(import.meta.url));
  const up = here.includes(`${join('dist', 'harness')}`) ? '../../..' : '../..';
  return resolve(here, up);
}

/** Built images, downloaded packages, kernel headers and lab keys; shared by runs. */
export function cacheRoot(): string {
  if (process.env.BOOTGATE_CACHE) return resolve(process.env.BOOTGATE_CACHE);
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(xdg, 'bootgate');
}
