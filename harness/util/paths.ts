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

/**
 * A user-given name or version as one file-name component, injectively: letters, digits and
 * `._+~-` are kept (so validated names come out unchanged), every other byte becomes %XX (`%`
 * too), and so does a leading dot: never `.`, `..`, a hidden name or a `/`. Bounded input is
 * the schema's job (suite-schema.ts); this is what keeps a path inside its folder regardless.
 */
export function fileNamePart(s: string): string {
  const hex = (ch: string) => [...Buffer.from(ch)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  return s.replace(/[^A-Za-z0-9._+~-]/gu, hex).replace(/^\./, '%2E');
}
