/**
 * Issue #17: the npm package is a working CLI. A clean copy of the project is packed with the real
 * `npm pack` (its `prepack` builds dist/), the tarball is installed with the real
 * `npm install -g --prefix` into a temporary prefix (dependencies from the npm cache, else the
 * registry), and the installed `bootgate` runs from a folder outside the repository.
 *
 * One at a time across processes (acquireFileLock): it packs and installs, and two `npm test` runs
 * on one machine would race for the same CPU and npm cache. About 1-2 minutes on 2 cores.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './cli-helpers.js';
import { acquireFileLock } from './file-lock.js';

const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
/** The environment of a shell, not of the `npm test` that started vitest (npm_config_local_prefix would point npm at this checkout). */
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}
function run(cmd: string, args: string[], o: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: o.cwd, env: { ...ENV, ...o.env }, maxBuffer: 64 << 20 }, (e, stdout, stderr) => {
      const code = e ? (typeof e.code === 'number' ? e.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let tmp = '';
let release: (() => void) | undefined;
let files: string[] = [];
let bin = '';
/** Where the installed CLI runs: no package.json, no images/, nothing of the repository. */
let elsewhere = '';

beforeAll(async () => {
  release = await acquireFileLock('bootgate-npm-pack');
  tmp = mkdtempSync(join(tmpdir(), 'bootgate-pack-'));
  // A checkout as a user has it: no dist/ (prepack must build it), no results or caches.
  const src = join(tmp, 'src');
  const skip = new Set(['node_modules', 'dist', 'results', '.git', '.cache']);
  cpSync(ROOT, src, { recursive: true, filter: (p) => !skip.has(relative(ROOT, p).split('/')[0]!) });
  symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(src, 'node_modules')); // typescript, for prepack

  const pack = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: src });
  expect(pack.code, pack.stderr).toBe(0);
  const [info] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  files = info!.files.map((f) => f.path).sort();

  const prefix = join(tmp, 'prefix');
  const install = await run('npm', ['install', '-g', '--prefix', prefix, join(tmp, info!.filename), '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: tmp });
  expect(install.code, install.stderr).toBe(0);
  bin = join(prefix, 'bin', 'bootgate');
  elsewhere = join(tmp, 'elsewhere');
  mkdirSync(elsewhere);
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  release?.();
});

/** The CLI as installed, run from a folder outside the repository, with a cache of its own. */
const bootgate = (args: string[]) => run(bin, args, { cwd: elsewhere, env: { BOOTGATE_CACHE: join(tmp, 'cache') } });

describe('npm pack, then npm install -g of the tarball', () => {
  it('the tarball holds the compiled CLI and what it reads at run time', () => {
    for (const f of ['package.json', 'README.md', 'bin/bootgate.js', 'images/initramfs/init.sh', 'images/guest-programs/workload.c', 'images/disk/customize.sh', 'schemas/run.schema.json']) {
      expect(files, f).toContain(f);
    }
    const recipes = readdirSync(join(ROOT, 'images')).filter((f) => f.endsWith('.yaml'));
    expect(recipes.length).toBeGreaterThan(0);
    for (const r of recipes) expect(files).toContain(`images/${r}`);
    // Every library module has its compiled file: nothing the CLI imports is left out.
    const modules = (readdirSync(join(ROOT, 'harness'), { recursive: true, encoding: 'utf8' }) as string[]).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.includes('testdata'));
    const missing = modules.map((f) => `dist/harness/${f.replace(/\.ts$/, '.js')}`).filter((f) => !files.includes(f));
    expect(missing).toEqual([]);
  });

  it('and nothing else: no tests, fixtures, sources, source maps, scripts, results or caches', () => {
    const extra = files.filter((f) => /^(test|harness|scripts|examples|suites|docs|results|node_modules|\.cache|\.ci)\/|^dist\/(?!harness\/)|\.map$|\.ts$|\.test\.js$|testdata/.test(f));
    expect(extra).toEqual([]);
  });

  it('bootgate --version, from the installed bin outside the repository', async () => {
    const r = await bootgate(['--version']);
    expect(r).toEqual({ code: 0, stdout: `${PKG.version}\n`, stderr: '' });
  });

  it('bootgate detect on a console log with a crash: the crash, exit 1', async () => {
    const log = join(ROOT, 'test', 'fixtures', 'sensor-291-debian-6.1.log');
    const r = await bootgate(['detect', log]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('[null-deref] BUG: kernel NULL pointer dereference in sensor_parse_channel (module sensor');
    const j = await bootgate(['detect', '--json', log]);
    expect((JSON.parse(j.stdout) as { crashes: { title: string }[] }[])[0]!.crashes.map((c) => c.title)).toEqual(['BUG: kernel NULL pointer dereference in sensor_parse_channel']);
  });

  it('bootgate images list: the recipes shipped in the package, found from where it is installed, not the cwd', async () => {
    const r = await bootgate(['images', 'list']);
    expect(r.code, r.stderr).toBe(0);
    const names = r.stdout.trim().split('\n').slice(1).map((l) => l.split('\t')[0]);
    expect(names.sort()).toEqual(readdirSync(join(ROOT, 'images')).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')).sort());
  });
});
