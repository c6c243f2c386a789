import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageCatalog } from '../harness/images/catalog.js';
import { loadRun } from '../harness/results/run-files.js';
import type { CellResult } from '../harness/results/schema.js';
import { BootgateError, EXIT } from '../harness/util/errors.js';
import { cacheRoot, projectRoot } from '../harness/util/paths.js';
import { cellProblems, costTable, verdictTable, type ImageCost } from './all-images-verdicts.js';

/**
 * `node dist/scripts/all-images-table.js RUN [RUN...]`: the verdict table of the all-images suite
 * (suites/all-images.yaml), from one run or from the parts of one split with --cells (a cell in a
 * later run replaces the same cell in an earlier one when it finished), and what each image costs: build seconds
 * and size from the catalog, cold boots from the runs' baselines. Writes `all-images.md` into the
 * first run's folder and prints it. Exit 0 when every cell is as the rule expects, 1 when one is not, 2 bad input.
 */
const finished = (c: CellResult) => c.status === 'done' && c.stopped?.cause !== 'interrupted';

async function main(paths: string[]): Promise<number> {
  if (paths.length === 0) {
    process.stderr.write('usage: node dist/scripts/all-images-table.js RUN [RUN...] (a results folder of suites/all-images.yaml, or several)\n');
    return EXIT.config;
  }
  const cells = new Map<string, CellResult>();
  let first: string | undefined;
  let wallMs = 0;
  const coldBoots = new Map<string, number[]>();
  for (const p of paths) {
    const { run, runDir } = await loadRun(p);
    first ??= runDir;
    if (run.startedAt && run.endedAt) wallMs += Date.parse(run.endedAt) - Date.parse(run.startedAt);
    // A later run's cell replaces an earlier one only when it finished: a part run with --cells
    // leaves the other cells pending, an interrupted one leaves them stopped.
    for (const c of run.cells) if (finished(c) || !cells.has(c.id)) cells.set(c.id, c);
    for (const b of run.baselines ?? []) {
      const ms = b.cycles.find((cy) => cy.kind === 'cold' && cy.bootMs !== undefined)?.bootMs;
      if (ms !== undefined) coldBoots.set(b.image, [...(coldBoots.get(b.image) ?? []), Math.round(ms / 100) / 10]);
    }
  }
  const all = [...cells.values()].sort((a, b) => a.image.name.localeCompare(b.image.name) || a.id.localeCompare(b.id));
  const catalog = new Map((await new ImageCatalog(projectRoot(), cacheRoot()).list()).map((e) => [e.loaded.recipe.name, e]));
  const costs: ImageCost[] = [...new Set(all.map((c) => c.image.name))].map((image) => {
    const m = catalog.get(image)?.manifest;
    const size = m ? Object.values(m.files).reduce((a, f) => a + (f?.size ?? 0), 0) : undefined;
    return {
      image,
      kernel: all.find((c) => c.image.name === image && c.image.kernelRelease)?.image.kernelRelease ?? '?',
      buildSeconds: m?.buildSeconds,
      sizeMiB: size === undefined ? undefined : Math.round((size / 2 ** 20) * 10) / 10,
      coldBoots: coldBoots.get(image) ?? [],
    };
  });
  const text = `# all-images: verdicts\n\nFrom ${paths.length} run(s), ${Math.round(wallMs / 1000)} s of run wall time in all.\n\n${verdictTable(all)}\n## Cost per image\n\n${costTable(costs)}`;
  const out = join(first!, 'all-images.md');
  await writeFile(out, text);
  process.stdout.write(`${text}\n(written to ${out})\n`);
  return all.some((c) => cellProblems(c).length > 0) ? EXIT.fail : EXIT.pass;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  // Bad input is one line naming the file (and field), never a stack trace.
  if (!(e instanceof BootgateError)) throw e;
  process.stderr.write(`all-images-table: ${e.toString()}\n`);
  process.exitCode = e.exitCode;
}
