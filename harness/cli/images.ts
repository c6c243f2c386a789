import { Command } from 'commander';
import { rm } from 'node:fs/promises';
import { readBootTime } from '../images/boot-time.js';
import { ImageCatalog } from '../images/catalog.js';
import { SelectorError, selectImages } from '../images/select.js';
import { parseConcurrency } from './concurrency-option.js';
import { EXIT } from '../util/errors.js';
import { Limiter } from '../util/limiter.js';
import { cacheRoot, projectRoot } from '../util/paths.js';

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

export function imagesCommand(setCode: (c: number) => void, signal: () => AbortSignal): Command {
  const catalog = () => new ImageCatalog(projectRoot(), cacheRoot());
  const cmd = new Command('images').description('the image catalog: list, build, verify');

  cmd
    .command('list')
    .description('every image recipe, and whether it is built')
    .argument('[selectors...]', "only these images: names, globs or conditions as in a suite's images: (arch=arm64, distro=debian-13, kernel>=6.12, 'kernel<6.0')")
    .option('--json', 'as JSON')
    .action(async (selectors: string[], o: { json?: boolean }) => {
      let all = await catalog().list();
      if (selectors.length > 0) {
        const recipes = all.map((e) => e.loaded.recipe);
        let wanted: Set<string>;
        try {
          wanted = new Set(selectors.flatMap((s) => selectImages(s, recipes)));
        } catch (e) {
          if (!(e instanceof SelectorError)) throw e;
          process.stderr.write(`bootgate: error: ${e.message}\n`);
          setCode(EXIT.config);
          return;
        }
        all = all.filter((e) => wanted.has(e.loaded.recipe.name));
      }
      const boots = await Promise.all(all.map((e) => (e.manifest ? readBootTime(e.dir) : undefined)));
      const rows = all.map((e, i) => ({
        name: e.loaded.recipe.name,
        os: e.loaded.recipe.os,
        arch: e.loaded.recipe.arch,
        distro: e.loaded.recipe.distro ?? '-',
        kernel: e.manifest?.kernelRelease ?? e.loaded.recipe.kernel?.package ?? '-',
        flavour: e.loaded.recipe.kernel?.flavour ?? '-',
        userland: e.loaded.recipe.userland,
        built: !!e.manifest,
        size: e.manifest ? Object.values(e.manifest.files).reduce((a, f) => a + (f?.size ?? 0), 0) : 0,
        buildSeconds: e.manifest?.buildSeconds,
        // Cold boot to the ready marker, when scripts/boot-times.ts measured it on this host.
        ...(boots[i] ? { bootSeconds: boots[i].seconds, bootAccel: boots[i].accel } : {}),
        recipeHash: e.loaded.hash,
      }));
      if (o.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      else {
        process.stdout.write(['NAME', 'OS', 'ARCH', 'DISTRO', 'KERNEL', 'FLAVOUR', 'USERLAND', 'BUILT', 'SIZE', 'RECIPE'].join('\t') + '\n');
        for (const r of rows) process.stdout.write([r.name, r.os, r.arch, r.distro, r.kernel, r.flavour, r.userland, r.built ? 'yes' : 'no', r.built ? mib(r.size) : '-', r.recipeHash].join('\t') + '\n');
      }
    });

  cmd
    .command('build')
    .description('build images (cached by recipe hash; rebuilt when the recipe changes)')
    .argument('[names...]', 'image names')
    .option('--all', 'every image')
    .option('--force', 'rebuild even when cached')
    .option('-j, --concurrency <n>', 'images built at once (default 1); downloads stay at most 2 at once', parseConcurrency)
    .action(async (names: string[], o: { all?: boolean; force?: boolean; concurrency?: number }) => {
      const c = catalog();
      const all = await c.list();
      // --all builds what can be built here: user disks are the user's own.
      const wanted = o.all ? all.filter((e) => e.loaded.recipe.userland !== 'user-disk').map((e) => e.loaded.recipe.name) : names;
      if (wanted.length === 0) {
        process.stderr.write('bootgate: error: name an image, or give --all (see `bootgate images list`)\n');
        setCode(EXIT.config);
        return;
      }
      const sig = signal();
      const pool = new Limiter(o.concurrency ?? 1);
      const one = async (name: string) => {
        const e = await c.find(name);
        if (e.manifest && !o.force) {
          process.stderr.write(`${name}: cached (${e.dir})\n`);
          return;
        }
        const t0 = Date.now();
        const b = await c.build(e.loaded, (step) => process.stderr.write(`${name}: ${step}\n`), sig);
        const size = Object.values(b.manifest.files).reduce((a, f) => a + (f?.size ?? 0), 0);
        process.stderr.write(`${name}: built in ${((Date.now() - t0) / 1000).toFixed(1)}s, ${mib(size)}, kernel ${b.manifest.kernelRelease} (${b.dir})\n`);
      };
      // After a failure no new build starts (with -j 1, the first failure stops the command, as
      // it always did); builds already running finish, then the first failure is the command's.
      let stop = false;
      const guarded = async (n: string) => {
        if (stop) return;
        try {
          await one(n);
        } catch (e) {
          stop = true;
          throw e;
        }
      };
      const settled = await Promise.allSettled(wanted.map((n) => pool.run(() => guarded(n))));
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
    });

  cmd
    .command('verify')
    .description('check the cached files of built images against their checksums')
    .action(async () => {
      const c = catalog();
      let bad = 0;
      for (const e of await c.list()) {
        if (!e.manifest) continue;
        const p = await c.verify(e);
        if (p.length) bad++;
        process.stdout.write(`${e.loaded.recipe.name}: ${p.length ? p.join('; ') : 'ok'}\n`);
      }
      setCode(bad ? EXIT.lab : EXIT.pass);
    });
  cmd
    .command('rm')
    .description('remove cached images (they are rebuilt when next needed)')
    .argument('[names...]', 'image names')
    .option('--stale', 'also remove copies of changed recipes and killed builds')
    .action(async (names: string[], o: { stale?: boolean }) => {
      const c = catalog();
      if (names.length === 0 && !o.stale) {
        process.stderr.write('bootgate: error: name an image, or give --stale\n');
        setCode(EXIT.config);
        return;
      }
      for (const n of names) {
        const gone = await c.remove(n);
        process.stderr.write(`${n}: ${gone.length ? `removed ${gone.join(', ')}` : 'was not cached'}\n`);
      }
      if (o.stale) {
        for (const d of await c.stale()) {
          await rm(d, { recursive: true, force: true });
          process.stderr.write(`removed stale ${d}\n`);
        }
      }
    });
  return cmd;
}
