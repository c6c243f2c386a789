import { loadSuite } from '../config/suite.js';
import { suiteImageNames } from '../run/prepare.js';
import { planRun, sharesBaselines, type RunSelection } from '../run/run-plan.js';
import { maxOf } from '../util/arrays.js';
import { jsonText } from '../util/json-text.js';
import { printableLine } from '../util/printable.js';
import { plural } from '../util/text.js';

/** The cells a run of the suite would take, from the suite and the catalog alone. */
export async function suitePlan(o: { suiteFile: string; root: string; cacheDir: string; selection: RunSelection; sharedBaselines?: boolean }) {
  const s = await loadSuite(o.suiteFile);
  const { names } = await suiteImageNames(o, s);
  return { s, plan: planRun(s.suite, names, o.selection, sharesBaselines(s.suite, o.sharedBaselines)) };
}

/**
 * `bootgate run SUITE --list`: the cells a run would take and the boots they cost, from the suite
 * and the image catalog alone: nothing is built or booted.
 */
export async function listCells(o: { suiteFile: string; root: string; cacheDir: string; selection: RunSelection; sharedBaselines?: boolean; json?: boolean }, out: (s: string) => void): Promise<void> {
  const { s, plan } = await suitePlan(o);
  if (o.json) {
    out(jsonText({ suite: s.suite.name, matrix: plan.matrix.length, shard: o.selection.shard, boots: plan.boots, bootsPerCell: plan.cost.perCell, sharedBaselineBoots: plan.boots - plan.cells.length * plan.cost.perCell, cells: plan.cells.map((c) => ({ id: c.id, image: c.image, agent: c.agent, build: c.build.version, content: c.content.version, boots: plan.cost.perCell })) }) + '\n');
    return;
  }
  const w = maxOf(plan.cells.map((c) => c.id.length).concat(4));
  out(`${'CELL'.padEnd(w)}  BOOTS\n`);
  for (const c of plan.cells) out(`${printableLine(c.id).padEnd(w)}  ${plan.cost.perCell}\n`);
  const of = plan.cells.length === plan.matrix.length ? '' : ` of ${plan.matrix.length}`;
  const shard = o.selection.shard ? ` (shard ${o.selection.shard.index}/${o.selection.shard.total})` : '';
  const sharedBoots = plan.boots - plan.cells.length * plan.cost.perCell;
  const base = sharedBoots ? ` (${plural(sharedBoots, 'shared baseline boot')} among them, once per image)` : '';
  out(`${plural(plan.cells.length, 'cell')}${of}${shard}, ${plural(plan.boots, 'boot')}${base}\n`);
}
