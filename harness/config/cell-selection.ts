import { ConfigError } from '../util/errors.js';
import type { CellPlan } from './matrix.js';

/** One slice of a suite's cells: `index` of `total`, 1-based as users write it (`--shard 2/4`). */
export interface Shard {
  index: number;
  total: number;
}

/** Boots a cell is expected to cost: its own, and those paid once per image on each machine (a shared baseline). */
export interface BootCost {
  perCell: number;
  perImage: number;
}

export const MAX_SHARDS = 1000;

export function parseShard(text: string): Shard {
  const m = /^(\d{1,4})\/(\d{1,4})$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const total = m ? Number(m[2]) : NaN;
  if (!m || total < 1 || total > MAX_SHARDS || index < 1 || index > total) {
    throw new ConfigError('USAGE', `takes i/n with 1 <= i <= n <= ${MAX_SHARDS} (e.g. 1/2), not ${JSON.stringify(text)}`, { field: '--shard' });
  }
  return { index, total };
}

/** `*` any run of characters, `?` one, `[...]` a class; everything else literal. Anchored at both ends. */
export function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      const body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
      re += `[${body.startsWith('!') ? '^' + body.slice(1) : body}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/**
 * Cells whose id matches any of the globs (`--cells`, repeated or comma-separated), in matrix order.
 * A glob that matches no cell is a mistake the user wants to hear about, not an empty run.
 */
export function filterCells(plans: CellPlan[], globs: string[]): CellPlan[] {
  if (globs.length === 0) return plans;
  const res = globs.map((g) => ({ g, re: globRegExp(g) }));
  for (const { g, re } of res) {
    if (!plans.some((p) => re.test(p.id))) {
      const ids = plans.slice(0, 5).map((p) => p.id);
      throw new ConfigError('NO_CELL_MATCHES', `no cell matches ${JSON.stringify(g)} (cells: ${ids.join(', ')}${plans.length > ids.length ? `, ... ${plans.length} in all` : ''}; see --list)`, { field: '--cells' });
    }
  }
  return plans.filter((p) => res.some(({ re }) => re.test(p.id)));
}

/** Each cell's shard when cells are laid in order into slices of at most `limit` boots; undefined when that takes more than `total` slices. */
function fill(plans: CellPlan[], limit: number, total: number, cost: BootCost): number[] | undefined {
  const owner: number[] = [];
  let shard = 0;
  let load = 0;
  let images = new Set<string>();
  for (const p of plans) {
    let add = cost.perCell + (images.has(p.image) ? 0 : cost.perImage);
    if (load > 0 && load + add > limit) {
      shard++;
      load = 0;
      images = new Set();
      add = cost.perCell + cost.perImage;
    }
    if (shard >= total) return undefined;
    load += add;
    images.add(p.image);
    owner.push(shard);
  }
  return owner;
}

/**
 * Which shard runs each cell: deterministic (the same suite and flags give the same split on
 * every machine, so n jobs that never talk cover every cell once) and balanced by expected boots.
 * Shards are consecutive runs of the matrix (images outermost), so an image's cells stay together
 * and its once-per-machine boots are paid on as few machines as possible; the split is the one
 * whose largest shard costs fewest boots (a binary search on that cost, each step a greedy fill,
 * which is exact for consecutive slices).
 */
export function assignShards(plans: CellPlan[], total: number, cost: BootCost): number[] {
  if (plans.length === 0) return [];
  let lo = cost.perCell + cost.perImage;
  let hi = bootsOf(plans, cost);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (fill(plans, mid, total, cost)) hi = mid;
    else lo = mid + 1;
  }
  return fill(plans, lo, total, cost)!;
}

export function shardCells(plans: CellPlan[], shard: Shard, cost: BootCost): CellPlan[] {
  const owner = assignShards(plans, shard.total, cost);
  return plans.filter((_, i) => owner[i] === shard.index - 1);
}

/** Expected boots of a set of cells on one machine. */
export function bootsOf(plans: CellPlan[], cost: BootCost): number {
  return plans.length * cost.perCell + new Set(plans.map((p) => p.image)).size * cost.perImage;
}
